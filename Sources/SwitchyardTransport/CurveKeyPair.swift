import CZeroMQ

/// A CURVE key pair in Z85 text (40 characters each), as libzmq makes and takes them.
public struct CurveKeyPair: Sendable, Equatable {
    public var publicKey: String
    public var secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A fresh pair from libzmq's zmq_curve_keypair (libsodium's randomness).
    public static func generate() throws -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41), secretText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else { throw ZeroMQError.last("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: Self.string(publicText), secretKey: Self.string(secretText))
    }

    /// The pair whose secret is `secretKey`: the public key derived from it (zmq_curve_public), so
    /// a secret key file can be checked against the public key a cluster file lists.
    public init(secretKey: String) throws {
        guard secretKey.utf8.count == 40 else {
            throw ZeroMQError.call("zmq_curve_public", errno: EINVAL, message: "a secret key is 40 Z85 characters, got \(secretKey.utf8.count)")
        }
        var publicText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicText, secretKey) == 0 else { throw ZeroMQError.last("zmq_curve_public") }
        self.init(publicKey: Self.string(publicText), secretKey: secretKey)
    }

    /// libzmq was built with CURVE (libsodium or its own TweetNaCl).
    public static var isAvailable: Bool { zmq_has("curve") != 0 }

    static func string(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Z85 text as the 32-byte binary key, or nil when it is not one.
    static func binary(_ z85: String) -> [UInt8]? {
        guard z85.utf8.count == 40 else { return nil }
        var key = [UInt8](repeating: 0, count: 32)
        return zmq_z85_decode(&key, z85) == nil ? nil : key
    }

    /// A 32-byte binary key as Z85 text, as ZAP requests carry client keys in binary.
    static func z85(_ key: [UInt8]) -> String? {
        guard key.count == 32 else { return nil }
        var text = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&text, key, key.count) != nil else { return nil }
        return string(text)
    }
}

/// How a ZeroMQ link proves who is at each end. Hosts are CURVE servers; the coordinator is a
/// CURVE client that names each host's server key, so only the holder of that host's secret
/// key can complete its handshake, and only the listed coordinator keys get past the host's ZAP
/// handler. Keys are Z85 text.
public enum ZeroMQSecurity: Sendable, Equatable {
    /// An expert host: its secret key, and the coordinator public keys it admits.
    case curveServer(secretKey: String, admittedClients: [String])
    /// The coordinator: its own pair, and each host's public key, in host order.
    case curveClient(CurveKeyPair, serverKeys: [String])

    func applyServer(to socket: ZMQSocket) throws {
        guard case let .curveServer(secretKey, _) = self else { return }
        try socket.setOption(ZMQ_CURVE_SERVER, int: 1, name: "CURVE_SERVER")
        try socket.setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(secretKey.utf8), name: "CURVE_SECRETKEY")
        // Names the domain in every ZAP request, which also makes libzmq ask the handler for every client.
        try socket.setOption(ZMQ_ZAP_DOMAIN, bytes: Array(ZAPHandler.domain.utf8), name: "ZAP_DOMAIN")
    }

    func applyClient(to socket: ZMQSocket, host: Int) throws {
        guard case let .curveClient(pair, serverKeys) = self else { return }
        guard serverKeys.indices.contains(host) else { throw TransportError("no CURVE server key for expert host \(host)") }
        try socket.setOption(ZMQ_CURVE_SERVERKEY, bytes: Array(serverKeys[host].utf8), name: "CURVE_SERVERKEY")
        try socket.setOption(ZMQ_CURVE_PUBLICKEY, bytes: Array(pair.publicKey.utf8), name: "CURVE_PUBLICKEY")
        try socket.setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(pair.secretKey.utf8), name: "CURVE_SECRETKEY")
    }
}

@testable import SwitchyardWire
import SwitchyardCore
import SwitchyardModelConfig

/// Frames of every kind for the tiny model, and byte surgery on encoded frames.
enum WireSamples {
    static let config = ModelPreset.tiny.config
    static let limits = WireLimits(config: config, maxTokens: 1024, maxHosts: 64)
    static let decoder = WireDecoder(limits: limits)
    static var hidden: Int { config.hiddenSize }

    static func floats(_ count: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float(random.nextFloat() * 4 - 2) }
    }

    static func dispatch(_ type: PayloadType, seed: UInt64 = 1) -> WireFrame {
        var random = SplitMix64(seed: seed)
        var routes = TokenRoutes()
        for (row, token) in [0, 2, 3, 7, 9, 200].enumerated() {
            routes.beginRow(token: UInt32(token))
            var used = Set<UInt32>()
            for _ in 0..<(row % 4 + 1) {
                var expert = UInt32(random.next() % 128)
                while used.contains(expert) { expert = (expert + 1) % 128 }
                used.insert(expert)
                routes.appendPair(expert: expert, weight: random.nextFloat())
            }
        }
        let activations = ActivationRows(rows: routes.count, width: hidden, floats: floats(routes.count * hidden, seed: seed), as: type)
        return WireFrame(address: FrameAddress(step: 41, layer: 1, microBatch: 2), host: 3, body: .dispatch(Dispatch(routes: routes, activations: activations)))
    }

    static func combine(_ type: PayloadType, seed: UInt64 = 2) -> WireFrame {
        let tokens: [UInt32] = [1, 4, 5, 1023]
        let sums = ActivationRows(rows: tokens.count, width: hidden, floats: floats(tokens.count * hidden, seed: seed), as: type)
        return WireFrame(address: FrameAddress(step: 41, layer: 0, microBatch: 0), host: 5, body: .combine(Combine(tokens: tokens, partialSums: sums)))
    }

    static let hello = WireFrame(address: FrameAddress(step: 0), host: 7, body: .hello(Hello(
        modelFingerprint: config.fingerprint, placementFingerprint: "placement-128x8-0123456789abcdef",
        weightsFingerprint: "synthetic-seed-42 ✓", experts: Array(112..<128), residentBytes: 123_456_789_012)))

    static let failure = WireFrame(host: 2, body: .error(Failure(code: .refused, message: "placement fingerprint differs: é ✓")))

    /// One frame of each kind, activations in every payload type, and a dispatch asking for its
    /// combine in another type.
    static var all: [WireFrame] {
        [dispatch(.f32), dispatch(.bf16), dispatch(.fp8), combine(.f32), combine(.bf16), combine(.fp8), splitDispatch, hello, failure,
         WireFrame(host: 0, body: .helloAck), WireFrame(address: FrameAddress(step: 99), host: 1, body: .heartbeat),
         WireFrame(host: 63, body: .shutdown)]
    }

    /// An fp8 dispatch whose combine comes back in bf16.
    static var splitDispatch: WireFrame {
        guard case let .dispatch(fp8) = dispatch(.fp8, seed: 3).body else { preconditionFailure("not a dispatch") }
        return WireFrame(address: FrameAddress(step: 42, layer: 1), host: 4,
                         body: .dispatch(Dispatch(routes: fp8.routes, activations: fp8.activations, combineType: .bf16)))
    }

    // MARK: Byte surgery

    static func set32(_ bytes: inout [UInt8], at offset: Int, _ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { for i in 0..<4 { bytes[offset + i] = $0[i] } }
    }

    static func set64(_ bytes: inout [UInt8], at offset: Int, _ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { for i in 0..<8 { bytes[offset + i] = $0[i] } }
    }

    /// Writes a fresh checksum, so a test reaches the validation behind it.
    static func reseal(_ bytes: inout [UInt8]) {
        guard bytes.count >= 64 else { return }
        var crc = CRC32C()
        crc.update(Array(bytes[0..<60]))
        crc.update(Array(bytes[64...]))
        set32(&bytes, at: 60, crc.value)
    }
}

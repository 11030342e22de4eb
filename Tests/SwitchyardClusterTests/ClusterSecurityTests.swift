import Foundation
import Testing
@testable import SwitchyardCluster

/// `"security"` and `"public_key"` in cluster files, key files, and where a run's sockets go.
@Suite struct ClusterSecurityTests {
    // The key pair of libzmq's zmq_curve documentation, and a second valid public key.
    static let publicKey = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
    static let secretKey = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
    static let otherKeys = ["rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"]

    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sy-keys-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: folder + "/keys", withIntermediateDirectories: true)
        try CurveKeyFile.write(publicKey: Self.publicKey, secretKey: Self.secretKey, folder: folder + "/keys", name: "coordinator")
        for (index, key) in Self.otherKeys.enumerated() {
            try (key + "\n").write(toFile: folder + "/keys/host-\(index).key", atomically: true, encoding: .utf8)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    /// A tcp cluster of two hosts in `folder`, every role with its key, changed by `edit`.
    func spec(_ edit: (inout [String: Any]) -> Void = { _ in }) throws(ClusterError) -> ClusterSpec {
        var object: [String: Any] = [
            "topology": "t.json", "transport": "zmq",
            "coordinator": ["endpoint": "tcp://10.0.0.1:5600", "device": ["node": 0, "gpu": 0], "public_key": "keys/coordinator.key"],
            "hosts": [
                ["endpoint": "tcp://10.0.0.2:5601", "device": ["node": 0, "gpu": 0], "public_key": "keys/host-0.key"],
                ["endpoint": "ipc:///tmp/fixed/host-1", "device": ["node": 0, "gpu": 1], "public_key": "keys/host-1.key"],
            ],
        ]
        edit(&object)
        return try ClusterSpec.decode(try! JSONSerialization.data(withJSONObject: object), file: folder + "/c.json")
    }

    func problem(_ edit: (inout [String: Any]) -> Void) -> String {
        do { _ = try spec(edit); return "no error" } catch { return error.description }
    }

    func editHost(_ index: Int, _ object: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var hosts = object["hosts"] as! [[String: Any]]
        edit(&hosts[index])
        object["hosts"] = hosts
    }

    @Test func listedKeysAreReadBesideTheClusterFile() throws {
        defer { remove() }
        let spec = try spec()
        #expect(spec.security == .curve)
        let keys = try #require(try spec.curveKeys())
        #expect(keys.coordinator == [ClusterPublicKey(file: folder + "/keys/coordinator.key", key: Self.publicKey)])
        #expect(keys.hosts.map(\.key) == Self.otherKeys)
        #expect(CurveKeyFile.secretFile(besides: keys.coordinator[0].file) == folder + "/keys/coordinator.key_secret")
        #expect(try CurveKeyFile.readSecret(folder + "/keys/coordinator.key_secret") == Self.secretKey)
        #expect(spec.plaintextWarning == nil)
    }

    @Test func badSecurityAndKeyFieldsNameThePath() throws {
        defer { remove() }
        let c = folder + "/c.json"
        #expect(problem { editHost(1, &$0) { $0["public_key"] = nil } } == "\(c): $.hosts[1]: needs \"public_key\" like the other roles (make one with switchyard keygen), or list no keys at all")
        #expect(problem { $0["security"] = "none" }.hasPrefix("\(c): $.coordinator: lists \"public_key\", but the file says \"security\": \"none\""))
        #expect(problem { $0["security"] = "tls" } == "\(c): $.security: \"tls\" is not a security mode (curve or none)")
        #expect(problem { editHost(0, &$0) { $0["public_key"] = ["keys/host-0.key"] } }.contains("$.hosts[0].public_key: an expert host has one public key"))
        #expect(problem { editHost(1, &$0) { $0["public_key"] = "keys/host-0.key" } }.contains("$.hosts[1]: public key in \(folder)/keys/host-0.key is already $.hosts[0]'s"))
        #expect(problem { editHost(0, &$0) { $0["public_key"] = "keys/missing.key" } }
            .hasPrefix("\(c): $.hosts[0].public_key: \(folder)/keys/missing.key: cannot read the public key: No such file or directory"))
        try "not a key\n".write(toFile: folder + "/keys/bad.key", atomically: true, encoding: .utf8)
        #expect(problem { editHost(0, &$0) { $0["public_key"] = "keys/bad.key" } }.contains("does not hold a CURVE key"))
        // MPI has no ZeroMQ security to configure.
        let mpi = problem {
            $0["transport"] = "mpi"; $0["security"] = "curve"
            $0["coordinator"] = ["rank": 0, "device": ["node": 0, "gpu": 0]]
            $0["hosts"] = [["rank": 1, "device": ["node": 0, "gpu": 0]]]
        }
        #expect(mpi.contains("$.security: is only used with transport zmq"), "\(mpi)")
    }

    @Test func severalCoordinatorKeysForARotation() throws {
        defer { remove() }
        let spec = try spec { object in
            var coordinator = object["coordinator"] as! [String: Any]
            coordinator["public_key"] = ["keys/coordinator.key", "keys/next.key"]
            object["coordinator"] = coordinator
            try! ("ar.{NbQB=+c[cR@eg&FcfFLssg=mfIi5%2YjuU>)\n").write(toFile: folder + "/keys/next.key", atomically: true, encoding: .utf8)
        }
        #expect(spec.listedKeys?.coordinator.count == 2)
    }

    @Test func tcpWithoutKeysIsRefusedUnlessSecurityIsNone() throws {
        defer { remove() }
        func bare(_ object: inout [String: Any]) {
            var coordinator = object["coordinator"] as! [String: Any]
            coordinator["public_key"] = nil
            object["coordinator"] = coordinator
            for index in 0..<2 { editHost(index, &object) { $0["public_key"] = nil } }
        }
        let plain = try spec(bare)
        var refusal = ""
        do { _ = try plain.curveKeys() } catch { refusal = error.description }
        #expect(refusal.contains("tcp endpoints need CURVE keys"), "\(refusal)")
        // A run's own keys, from its folder.
        let ephemeral = try #require(try plain.curveKeys(folder: folder + "/keys"))
        #expect(ephemeral.hosts.map(\.key) == Self.otherKeys && ephemeral.coordinator.map(\.key) == [Self.publicKey])

        let none = try spec { bare(&$0); $0["security"] = "none" }
        #expect(try none.curveKeys() == nil)
        #expect(none.plaintextWarning?.contains("neither authenticated nor encrypted") == true)

        let ipcOnly = try spec {
            bare(&$0)
            $0["coordinator"] = ["endpoint": "ipc:///tmp/fixed/c", "device": ["node": 0, "gpu": 0]]
            editHost(0, &$0) { $0["endpoint"] = "ipc:///tmp/fixed/host-0" }
        }
        #expect(try ipcOnly.curveKeys() == nil)
    }

    @Test func aSecretKeyOthersCanReadIsRefused() throws {
        defer { remove() }
        let file = folder + "/keys/coordinator.key_secret"
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        chmod(file, 0o644)
        var refusal = ""
        do { _ = try CurveKeyFile.readSecret(file) } catch { refusal = error.description }
        #expect(refusal == "\(file): secret key is readable by others (mode 644): chmod 600 it")
        var overwrite = ""
        do { try CurveKeyFile.write(publicKey: Self.publicKey, secretKey: Self.secretKey, folder: folder + "/keys", name: "coordinator") } catch {
            overwrite = error.description
        }
        #expect(overwrite.contains("exists; keys are never overwritten"))
        #expect(!CurveKeyFile.isZ85Key(String(Self.publicKey.dropLast())) && !CurveKeyFile.isZ85Key(String(repeating: "#", count: 40)))
        #expect(CurveKeyFile.isZ85Key(Self.secretKey))
    }

    @Test func aRunsSocketsMoveIntoItsFolder() throws {
        defer { remove() }
        let moved = try spec().placingIPCSockets(in: "/run/x")
        #expect(moved.hosts.map(\.endpoint.description) == ["tcp://10.0.0.2:5601", "ipc:///run/x/host-1"])
        #expect(moved.coordinator.endpoint.description == "tcp://10.0.0.1:5600")
    }
}

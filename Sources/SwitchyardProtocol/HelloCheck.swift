import SwitchyardModel
import SwitchyardWire

extension Hello {
    /// What host `host` should state for this model, placement and weights.
    public init(config: ModelConfig, placement: Placement, host: Int, weightsFingerprint: String, residentBytes: UInt64 = 0) {
        self.init(modelFingerprint: config.fingerprint, placementFingerprint: placement.fingerprint,
                  weightsFingerprint: weightsFingerprint, experts: placement.experts(of: host), residentBytes: residentBytes)
    }

    /// The first way a host's hello differs from this expected one; nil when they agree
    /// (resident bytes are reported, not compared).
    public func mismatch(with answer: Hello) -> HelloMismatch? {
        let fields: [(String, String, String)] = [
            ("model fingerprint", modelFingerprint, answer.modelFingerprint),
            ("placement fingerprint", placementFingerprint, answer.placementFingerprint),
            ("weights fingerprint", weightsFingerprint, answer.weightsFingerprint),
        ]
        for (name, expected, stated) in fields where expected != stated {
            return HelloMismatch(field: name, detail: "\(name) differs: the coordinator expects \(expected), the host has \(stated)")
        }
        if experts != answer.experts {
            let missing = Set(experts).subtracting(answer.experts).sorted(), extra = Set(answer.experts).subtracting(experts).sorted()
            func list(_ ids: [Int]) -> String { ids.prefix(8).map(String.init).joined(separator: ", ") + (ids.count > 8 ? ", …" : "") }
            var parts: [String] = []
            if !missing.isEmpty { parts.append("the host lacks \(list(missing))") }
            if !extra.isEmpty { parts.append("holds \(list(extra)) it should not") }
            return HelloMismatch(field: "experts", detail: "experts differ: " + parts.joined(separator: " and "))
        }
        return nil
    }
}

/// How two hellos differ: the field's name (all a stranger is told) and the whole story (for logs
/// and the coordinator's own error).
public struct HelloMismatch: Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var detail: String
    public var description: String { detail }
}

import Foundation
import SwitchyardCore

extension ModelConfig {
    /// What a coordinator and its hosts compare in the hello exchange: a digest of the
    /// configuration's JSON with sorted keys, so any field that changes the computation changes it.
    public var fingerprint: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        return "\(modelType)-" + FNV1a64.hex(data)
    }
}

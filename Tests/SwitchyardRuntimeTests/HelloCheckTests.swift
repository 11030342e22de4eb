import SwitchyardModel
import Testing
import SwitchyardProtocol
import SwitchyardRuntime
import SwitchyardTransport
import SwitchyardWire

@Suite struct HelloCheckTests {
    @Test func agreesOnlyWhenEverythingMatches() throws {
        let config = ModelPreset.tiny.config
        let placement = try Placement(.contiguous, experts: 128, hosts: 8)
        let expected = Hello(config: config, placement: placement, host: 2, weightsFingerprint: "synthetic-1")
        #expect(expected.experts == Array(32..<48))
        var answer = expected
        answer.residentBytes = 1 << 30
        #expect(expected.mismatch(with: answer) == nil)
        var other = answer
        other.placementFingerprint = try Placement(.roundRobin, experts: 128, hosts: 8).fingerprint
        #expect(expected.mismatch(with: other)?.detail.hasPrefix("placement fingerprint differs") == true)
        other = answer
        other.weightsFingerprint = "synthetic-2"
        #expect(expected.mismatch(with: other)?.detail.contains("synthetic-2") == true)
        other = answer
        other.experts = Array(33..<49)
        #expect(expected.mismatch(with: other)?.detail == "experts differ: the host lacks 32 and holds 48 it should not")
    }
}

extension HelloCheckTests {
    @Test func missingOrExtraExpertsAloneAreNamed() throws {
        let placement = try Placement(.contiguous, experts: 16, hosts: 2)
        let expected = Hello(config: ModelPreset.tiny.config, placement: placement, host: 0, weightsFingerprint: "w")
        var answer = expected
        answer.experts = Array(0..<7)
        #expect(expected.mismatch(with: answer)?.detail == "experts differ: the host lacks 7")
        answer.experts = Array(0..<9)
        #expect(expected.mismatch(with: answer)?.detail == "experts differ: holds 8 it should not")
    }
}

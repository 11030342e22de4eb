import Foundation
import Testing
import SwitchyardTransport
import SwitchyardWire
@testable import SwitchyardRuntime

@Suite struct InjectedFaultTests {
    @Test func everyKindParsesAndPrintsBack() throws {
        let cases: [(String, InjectedFault)] = [
            ("kill:host=3@step=5", .kill(host: 3, step: 5)),
            ("stop:host=2@step=9,for=2s", .stop(host: 2, step: 9, duration: .seconds(2))),
            ("stop:host=2,for=500ms@step=9", .stop(host: 2, step: 9, duration: .milliseconds(500))),
            ("delay:host=1,ms=5", .delay(host: 1, milliseconds: 5)),
            ("drop:host=4,rate=0.01", .drop(host: 4, rate: 0.01)),
        ]
        for (text, fault) in cases {
            let parsed = try InjectedFault(parsing: text, hosts: 8)
            #expect(parsed == fault, "\(text)")
            #expect(try InjectedFault(parsing: parsed.description, hosts: 8) == fault)
        }
    }

    @Test(arguments: [
        ("kill:host=3", "needs @step=N"), ("kill:host=9@step=1", "not one of the cluster's hosts 0...7"),
        ("kill:host=-1@step=1", "not one of"), ("kill:host=1@step=0", "step=N with N ≥ 1"), ("burn:host=1", "not a fault"),
        ("delay:host=1,ms=-3", "outside"), ("delay:host=1,ms=nan", "outside"), ("drop:host=1,rate=1.5", "outside"),
        ("drop:host=1", "needs rate="), ("delay:host=1,ms=5,color=red", "'color' is not a field"), ("delay:host=1,host=2,ms=1", "given twice"),
        ("delay:host=1,ms=5@step=3", "takes no @step"), ("stop:host=1@step=2", "needs for="), ("stop:host=1@step=2,for=0s", "for="),
        ("kill", "needs host="), ("kill:host", "not key=value"),
    ])
    func badFaultsNameTheProblem(text: String, problem: String) {
        #expect {
            _ = try InjectedFault(parsing: text, hosts: 8)
        } throws: { error in
            "\(error)".hasPrefix("--inject \(text): ") && "\(error)".contains(problem)
        }
    }

    @Test func faultsOfAHostAddUp() throws {
        let faults = try ["delay:host=1,ms=2", "delay:host=1,ms=0.5", "drop:host=1,rate=0.1", "drop:host=1,rate=0.3", "delay:host=2,ms=9"]
            .map { try InjectedFault(parsing: $0, hosts: 4) }
        #expect(InjectedFault.linkDelay(of: 1, in: faults) == .microseconds(2500))
        #expect(InjectedFault.dropRate(of: 1, in: faults) == 0.3)
        #expect(InjectedFault.linkDelay(of: 0, in: faults) == .zero)
    }

    @Test func aLossyLinkDropsItsShare() throws {
        let network = InProcessNetwork(hosts: 1)
        let lossy = FaultyHostTransport(network.host(0), dropRate: 1)
        try lossy.send(WireFrame(host: 0, body: .heartbeat).encoded(), to: PeerID(number: 0))
        #expect(try network.coordinator.receive(timeout: .milliseconds(50)) == nil)
        #expect(lossy.dropped == 1)
        let half = FaultyHostTransport(network.host(0), dropRate: 0.5, seed: 9)
        for _ in 0..<1000 { try half.send(WireFrame(host: 0, body: .heartbeat).encoded(), to: PeerID(number: 0)) }
        #expect((400...600).contains(half.dropped))
    }
}

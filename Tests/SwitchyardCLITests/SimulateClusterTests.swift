import Foundation
import Testing
import SwitchyardTestSupport

/// `simulate --cluster`: the roles and placement of a cluster file on the topology it stands for.
@Suite struct SimulateClusterTests {
    let switchyard = TestProducts.executable("switchyard")
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    @Test(arguments: [("cluster/local-dgx-b200.json", "dgx-b200", 8), ("cluster/local-hgx-h100x4.json", "hgx-h100-x4", 32)])
    func clusterPresetsSimulateOnTheirTopology(cluster: String, topology: String, hosts: Int) throws {
        let result = try Subprocess.run(switchyard, ["simulate", "--model", "mistral-small-4", "--topology", topology, "--cluster", cluster,
                                                     "--phase", "decode", "--batch", "64", "--json"], directory: root)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect((object["title"] as? String)?.contains("roles and placement from \(cluster)") == true)
        // Each host's device holds experts; the coordinator's GPU 0 also runs attention.
        let roles = try #require(object["devices"] as? [[String: Any]]).map { $0["role"] as? String ?? "" }
        #expect(roles.filter { $0.contains("expert") }.count == hosts, "\(roles)")
        #expect(roles.first == "attention + experts")
    }

    @Test func aHostOnADeviceTheTopologyLacksIsNamed() throws {
        let result = try Subprocess.run(switchyard, ["simulate", "--model", "mistral-small-4", "--topology", "h100-x4",
                                                     "--cluster", "cluster/local-dgx-b200.json", "--phase", "decode", "--batch", "8"],
                                        directory: root)
        #expect(result.status == 2)
        #expect(result.stderr.contains("cluster/local-dgx-b200.json: hosts[4].device: node 0 gpu 4 is not a GPU of h100-x4"), "\(result.stderr)")
    }
}

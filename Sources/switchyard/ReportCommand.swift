import ArgumentParser
import Foundation
import SwitchyardLaunch

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild a run directory's report.html and traffic.csv from its traffic files.",
        discussion: """
        Reads traffic.jsonl (the coordinator's records), fills in each host's times
        from traffic-host-K.jsonl where present, and summary.json for the workload's
        figures; writes traffic.csv and a self-contained report.html (inline SVG, no
        scripts). When the cluster's topology file (or a preset of its name) is found,
        the run's exchange is also timed on it. Format: docs/TRAFFIC.md.

        Example: switchyard report runs/20260101-120000-4242
        """
    )

    @Argument(help: "The run directory (switchyard run's --out).") var runDirectory: String

    func run() throws {
        print(try TrafficRun.render(URL(fileURLWithPath: runDirectory)).path)
    }
}

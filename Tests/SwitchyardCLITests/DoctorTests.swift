import Foundation
import Testing
import SwitchyardTestSupport
import SwitchyardKernels

@Suite struct CommandLineTests {
    let switchyard = TestProducts.executable("switchyard")

    @Test func doctorPrintsEveryComponent() throws {
        let result = try Subprocess.run(switchyard, ["doctor"], timeout: .seconds(60))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        for row in ["libzmq", "MPI library", "OpenBLAS", "OpenBLAS threads", "CPU cores", "SIMD", "kernel path", "fp8 weights", "mpirun"] {
            #expect(result.stdout.contains("\n\(row) "), "missing row \(row) in\n\(result.stdout)")
        }
        #expect(result.stdout.contains("Open MPI"))
        #expect(result.stdout.range(of: #"libzmq\s+4\.\d+\.\d+"#, options: .regularExpression) != nil)
    }

    /// The OpenBLAS kernel family in use, and whether the environment forced it.
    @Test func doctorNamesTheOpenBLASKernelsAndWhoChoseThem() throws {
        let chosen = try Subprocess.run("/usr/bin/env", ["-u", "OPENBLAS_CORETYPE", switchyard, "doctor"], timeout: .seconds(60))
        #expect(chosen.status == 0, "\(chosen.stderr)")
        #expect(chosen.stdout.split(separator: "\n").contains { $0.hasPrefix("OpenBLAS kernels") && $0.hasSuffix("(chosen by OpenBLAS for this CPU)") },
                "\(chosen.stdout)")
        let forced = try Subprocess.run(switchyard, ["doctor"], environment: ["OPENBLAS_CORETYPE": "Haswell"], timeout: .seconds(60))
        #expect(forced.stdout.contains("Haswell (OPENBLAS_CORETYPE=Haswell in the environment)"), "\(forced.stdout)")
    }

    @Test func doctorFailsNamingMpirunWhenItIsNotOnThePath() throws {
        let result = try Subprocess.run(switchyard, ["doctor"], environment: ["PATH": "/nonexistent"], timeout: .seconds(60))
        #expect(result.status == 1)
        #expect(result.stderr.contains("mpirun is not on the PATH"))
    }

    /// Each decode row of bench experts says what bounds it, from its in-cache rate against the
    /// memory's: a positive rate and one of the two words, in the text and in the JSON.
    @Test func benchExpertsSaysWhatBoundsEachDecodeRow() throws {
        let arguments = ["bench", "experts", "--hidden", "256", "--intermediate", "64", "--prefill-tokens", "4", "--decode-experts", "2"]
        let text = try Subprocess.run(switchyard, arguments, timeout: .seconds(300))
        #expect(text.status == 0, "\(text.stderr)")
        let decode = text.stdout.split(separator: "\n").filter { $0.hasPrefix("decode") }
        // 15 rows (3 dtypes × 5 token counts); on a CPU with AVX512-BF16 4 more by vdpbf16ps for bf16,
        // and 4 for fp8 where it also has VBMI.
        let extra = KernelPath.avx512bf16.isSupported ? (KernelPath.avx512bf16.roundsFP8Activations ? 8 : 4) : 0
        #expect(decode.count == 15 + extra, "\(text.stdout)")
        #expect(decode.allSatisfy { $0.hasSuffix(" memory") || $0.hasSuffix(" arithmetic") }, "\(text.stdout)")
        let json = try Subprocess.run(switchyard, arguments + ["--json"], timeout: .seconds(300))
        let records = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let rows = records.filter { ($0["measure"] as? String)?.hasPrefix("decode_") == true && $0["bound"] != nil }
        #expect(rows.count == decode.count)
        for row in rows {
            #expect(["memory", "arithmetic"].contains(row["bound"] as? String), "\(row)")
            #expect(((row["in_cache_gb_per_s"] as? Double) ?? 0) > 0, "\(row)")
        }
    }

    @Test func helpListsOnlyWorkingCommands() throws {
        let result = try Subprocess.run(switchyard, ["--help"], timeout: .seconds(30))
        #expect(result.status == 0)
        #expect(result.stdout.contains("doctor"))
        #expect(result.stdout.contains("bench"))
    }

    @Test func usageErrorsExitWithCodeTwo() throws {
        let unknown = try Subprocess.run(switchyard, ["no-such-command"], timeout: .seconds(30))
        #expect(unknown.status == 2)
        let badValue = try Subprocess.run(switchyard, ["bench", "machine", "--gemm-size", "0"], timeout: .seconds(30))
        #expect(badValue.status == 2)
        #expect(badValue.stderr.contains("--gemm-size"))
        let badThreads = try Subprocess.run(switchyard, ["expert-host", "--host", "0", "--threads", "0"], timeout: .seconds(30))
        #expect(badThreads.status == 2)
        #expect(badThreads.stderr.contains("--threads"))
    }

    @Test func benchMachineReportsRates() throws {
        let result = try Subprocess.run(switchyard, ["bench", "machine", "--gemm-size", "128", "--buffer-mib", "8"], timeout: .seconds(60))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("sgemm 128³, 1 thread"))
        #expect(result.stdout.contains("memory read"))
    }
}

import Foundation
import Testing
import SwitchyardCore
import SwitchyardFuzzTargets

/// The fuzz targets in `make test`: every committed seed and every input a fuzzer once crashed
/// on (Tests/Fuzz/regressions/TARGET/) goes through its target again, and a bounded, seeded
/// mutation of the seeds stands in for a short fuzzing run. A trap here fails the test process.
@Suite struct FuzzCorpusTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ folder: String, _ target: FuzzTarget) -> [Data] {
        let directory = fuzz.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().compactMap { FileManager.default.contents(atPath: directory.appendingPathComponent($0).path) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedsAndRegressionsRunClean(_ target: FuzzTarget) {
        let seeds = Self.inputs("corpus", target)
        #expect(seeds.count >= 3, "Tests/Fuzz/corpus/\(target.rawValue) has \(seeds.count) seeds")
        for input in seeds + Self.inputs("regressions", target) { target.run(input) }
    }

    /// Byte-level damage to the seeds (bit flips, interesting integers, cut and repeated spans),
    /// 3,000 inputs per target from a fixed seed: the same every run, never a trap.
    @Test(arguments: FuzzTarget.allCases)
    func mutatedSeedsNeverTrap(_ target: FuzzTarget) {
        let seeds = Self.inputs("corpus", target).map { [UInt8]($0) }
        try? #require(!seeds.isEmpty)
        var random = SplitMix64(seed: 0xF022 &+ UInt64(target.rawValue.utf8.count))
        let interesting: [[UInt8]] = [[0], [0xFF], [0x7F], [0x80], Array("-1".utf8), Array("1e309".utf8), Array("4611686018427387904".utf8),
                                      Array("null".utf8), Array("[]".utf8), Array("{}".utf8), [0xFF, 0xFF, 0xFF, 0xFF], [0, 0, 0, 0x80]]
        for _ in 0..<3000 {
            var bytes = seeds[Int(random.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + Int(random.next() % 4)) where !bytes.isEmpty {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 5 {
                case 0: bytes[at] ^= 1 << UInt8(random.next() % 8)
                case 1:
                    let value = interesting[Int(random.next() % UInt64(interesting.count))]
                    bytes.replaceSubrange(at..<min(bytes.count, at + value.count), with: value)
                case 2: bytes.removeSubrange(at..<min(bytes.count, at + 1 + Int(random.next() % 16)))
                case 3: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 1 + Int(random.next() % 16))], at: at)
                default: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                }
            }
            bytes.withUnsafeBytes { target.run($0) }
        }
    }
}

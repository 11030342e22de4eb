import Foundation
import SwitchyardFuzzTargets

// Built with -DFUZZING and -sanitize=fuzzer (`make fuzz`): main hands over to libFuzzer's driver
// with the target SWITCHYARD_FUZZ_TARGET names. Built plainly: a replayer that runs files through
// a target, to reproduce a crash libFuzzer saved (`switchyard-fuzz TARGET FILE…`).

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

nonisolated(unsafe) var selected = FuzzTarget.wire
#endif

@main
enum FuzzHarness {
    static func main() {
        #if FUZZING
        guard let name = ProcessInfo.processInfo.environment["SWITCHYARD_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
            fail("set SWITCHYARD_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        selected = target
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            selected.run(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        })
        #else
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count >= 2 else {
            fail("usage: switchyard-fuzz TARGET FILE… (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else { fail("switchyard-fuzz: \(path): cannot be read") }
            target.run(data)
            print("\(path): ok")
        }
        #endif
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }
}

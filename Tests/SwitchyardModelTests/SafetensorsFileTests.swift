import Foundation
import Testing
@testable import SwitchyardModel

@Suite struct SafetensorsFileTests {
    @Test func readsTensorsOfEveryWeightDType() throws {
        let dir = try TemporaryDirectory()
        // F32 [2,2] at 0..<16, BF16 [3] at 16..<22, F16 [2] at 22..<26, F8_E4M3 [2] at 26..<28.
        let header = """
        {"__metadata__": {"format": "pt"},
         "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
         "b": {"dtype": "BF16", "shape": [3], "data_offsets": [16, 22]},
         "c": {"dtype": "F16", "shape": [2], "data_offsets": [22, 26]},
         "d": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [26, 28]}}
        """
        let data = float32Bytes([1, -2, 0.5, 3]) + [0x80, 0x3F, 0x00, 0xC0, 0x49, 0x40] + [0x00, 0x3C, 0x00, 0xC4] + [0x38, 0xFE]
        let file = try SafetensorsFile(path: try dir.safetensors("m.safetensors", header: header, data: data))
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensorNames == ["a", "b", "c", "d"])
        #expect(try file.floats("a") == [1, -2, 0.5, 3])
        #expect(try file.floats("a", elements: 1..<3) == [-2, 0.5])
        #expect(try file.bf16Bits("b") == [0x3F80, 0xC000, 0x4049])
        #expect(try file.floats("b") == [1, -2, 3.140625])
        #expect(try file.floats("c") == [1, -4])
        #expect(try file.floats("d") == [1, -448])
        #expect(file.bytesRead(tensor: "a") == 16 + 8)
        #expect(file.totalBytesRead == 24 + 6 + 6 + 4 + 2)
    }

    /// Written by Python's safetensors 0.8.0 (`save_file` of an int64 scalar, float32 and float16 arrays).
    @Test func readsAFileWrittenByTheReferenceLibrary() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("ref.safetensors")
        try #require(Data(base64Encoded: "EAEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCJ9LCJzdGVwIjp7ImR0eXBlIjoiSTY0Iiwic2hhcGUiOltdLCJkYXRhX29mZnNldHMiOlswLDhdfSwiYS53ZWlnaHQiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzMsNF0sImRhdGFfb2Zmc2V0cyI6WzgsNTZdfSwibiI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbNV0sImRhdGFfb2Zmc2V0cyI6WzU2LDc2XX0sImgud2VpZ2h0Ijp7ImR0eXBlIjoiRjE2Iiwic2hhcGUiOlsxLDNdLCJkYXRhX29mZnNldHMiOls3Niw4Ml19fSAgIAcAAAAAAAAAAAAAAAAAgD8AAABAAABAQAAAgEAAAKBAAADAQAAA4EAAAABBAAAQQQAAIEEAADBBAACAPwAAgD8AAIA/AACAPwAAgD8APgC0/3s=")).write(to: URL(fileURLWithPath: path))
        let file = try SafetensorsFile(path: path)
        #expect(file.tensorNames == ["step", "a.weight", "n", "h.weight"])
        #expect(try file.info("step").shape == [] && file.info("step").dtype == .i64)
        #expect(try file.floats("a.weight") == (0..<12).map(Float.init))
        #expect(try file.floats("n") == [1, 1, 1, 1, 1])
        #expect(try file.floats("h.weight") == [1.5, -0.25, 65504])
    }

    /// Float32 weights are used in place where their bytes are 4-byte aligned in the file, and copied
    /// where not; the values are the same either way.
    @Test(arguments: [(padding: 1, aligned: true), (padding: 2, aligned: false)])
    func readsDataAtAnyAlignment(padding: Int, aligned: Bool) throws {
        let dir = try TemporaryDirectory()
        // 8 bytes of length and a 55-byte header: one space puts the data at byte 64, two at byte 65.
        let header = #"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}"#
        let padded = header + String(repeating: " ", count: padding)
        let path = try dir.safetensors("odd.safetensors", header: padded, data: float32Bytes([1.5, 2.5, -7]))
        let file = try SafetensorsFile(path: path)
        #expect(try file.floats("x") == [1.5, 2.5, -7])
        let inPlace = try file.f32("x")
        #expect(inPlace.array == [1.5, 2.5, -7])
        #expect(inPlace.isMapped == aligned)
    }

    @Test func otherDTypesOpenButAreRefusedAsWeights() throws {
        let dir = try TemporaryDirectory()
        let header = """
        {"step": {"dtype": "I64", "shape": [], "data_offsets": [0, 8]},
         "w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}
        """
        let path = try dir.safetensors("m.safetensors", header: header, data: [UInt8](repeating: 0, count: 8) + float32Bytes([2]))
        let file = try SafetensorsFile(path: path)
        #expect(try file.floats("w") == [2])
        let error = try #require(throws: CheckpointError.self) { try file.floats("step") }
        #expect(error.description == "\(path): tensor 'step': dtype I64 is not supported for weights (F32, BF16, F16, F8_E4M3)")
    }

    /// Each malformed file fails at open with one line naming the file, the tensor when one is at fault, and the problem.
    @Test(arguments: [
        (#"{"w": {"dtype": "Q4_K", "shape": [1], "data_offsets": [0, 4]}}"#, "tensor 'w': unknown dtype \"Q4_K\""),
        (#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}"#, "tensor 'w': shape [2] of F32 needs 8 bytes but data_offsets [0, 4] span 4"),
        (#"{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, "tensor 'w': shape [-1] has a negative dimension -1"),
        (#"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}"#, "tensor 'w': data_offsets [4, 0] are negative or reversed"),
        (#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, "tensor 'w': data_offsets [0, 8] end past the data region's 4 bytes (file truncated?)"),
        (#"{"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#, "tensor 'w': shape is not a list of integers"),
        (#"{"w": {"dtype": "F32", "shape": [1]}}"#, "tensor 'w': header entry has no data_offsets"),
        (#"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}"#, "tensor 'w': data_offsets [0] is not a [begin, end] pair"),
        (#"{"w": [1, 2]}"#, "tensor 'w': header entry is not an object"),
        (#"[1, 2, 3]"#, "header is not a JSON object"),
        (#"{"w": {"#, "header is not valid JSON"),
    ])
    func malformedHeadersAreRefusedAtOpen(header: String, message: String) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.safetensors("bad.safetensors", header: header, data: float32Bytes([1]))
        let error = try #require(throws: CheckpointError.self) { try SafetensorsFile(path: path) }
        #expect(error.description == "\(path): \(message)")
    }

    @Test func overlappingTensorsAreRefused() throws {
        let dir = try TemporaryDirectory()
        let header = """
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}
        """
        let path = try dir.safetensors("m.safetensors", header: header, data: float32Bytes([1, 2, 3]))
        let error = try #require(throws: CheckpointError.self) { try SafetensorsFile(path: path) }
        #expect(error.description == "\(path): tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]")
    }

    @Test func truncatedFilesAreRefusedAtOpen() throws {
        let dir = try TemporaryDirectory()
        let header = #"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#
        let whole = try dir.safetensors("whole.safetensors", header: header, data: float32Bytes([1, 2, 3, 4]))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        // Cut inside the data: the tensor's offsets now run past the end.
        let cut = dir.path("cut.safetensors")
        try bytes.prefix(bytes.count - 5).write(to: URL(fileURLWithPath: cut))
        let dataCut = try #require(throws: CheckpointError.self) { try SafetensorsFile(path: cut) }
        #expect(dataCut.description == "\(cut): tensor 'w': data_offsets [0, 16] end past the data region's 11 bytes (file truncated?)")
        // Cut inside the header.
        let short = dir.path("short.safetensors")
        try bytes.prefix(20).write(to: URL(fileURLWithPath: short))
        let headerCut = try #require(throws: CheckpointError.self) { try SafetensorsFile(path: short) }
        #expect(headerCut.description == "\(short): header length \(header.utf8.count) runs past the end of the file (20 bytes; truncated?)")
        // Cut inside the length itself, and an empty file.
        for size in [0, 5] {
            let tiny = dir.path("tiny\(size).safetensors")
            try bytes.prefix(size).write(to: URL(fileURLWithPath: tiny))
            let error = try #require(throws: CheckpointError.self) { try SafetensorsFile(path: tiny) }
            #expect(error.description == "\(tiny): is \(size) bytes, too short for the 8-byte header length (truncated?)")
        }
    }

    @Test func headerLengthPastTheEndOrAbsurdIsRefused() throws {
        let dir = try TemporaryDirectory()
        let header = #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#
        let past = try dir.safetensors("past.safetensors", header: header, data: float32Bytes([1]), headerLength: 1000)
        let error = try #require(throws: CheckpointError.self) { try SafetensorsFile(path: past) }
        #expect(error.description.hasPrefix("\(past): header length 1000 runs past the end of the file"))
        let absurd = try dir.safetensors("absurd.safetensors", header: header, data: [], headerLength: UInt64.max)
        let huge = try #require(throws: CheckpointError.self) { try SafetensorsFile(path: absurd) }
        #expect(huge.description.contains("header length 18446744073709551615 is absurd"))
    }

    @Test func missingTensorsAndRangesOutsideTheTensorAreErrors() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.safetensors("m.safetensors", header: #"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, data: float32Bytes([1, 2]))
        let file = try SafetensorsFile(path: path)
        let missing = try #require(throws: CheckpointError.self) { try file.floats("v") }
        #expect(missing.description == "\(path): tensor 'v': is not in the file")
        let outside = try #require(throws: CheckpointError.self) { try file.floats("w", elements: 1..<3) }
        #expect(outside.description == "\(path): tensor 'w': elements 1..<3 asked for, but it has 2")
        #expect(file.totalBytesRead == 0)
    }

    @Test func missingFileIsAnError() {
        let error = #expect(throws: CheckpointError.self) { try SafetensorsFile(path: "/nonexistent/model.safetensors") }
        #expect(error?.description.hasPrefix("/nonexistent/model.safetensors: cannot be opened") == true)
    }

    @Test func writerPadsTheHeaderToEightBytesAndRoundTrips() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("w.safetensors")
        let writer = try SafetensorsWriter(path: path, entries: [
            .init(name: "a", dtype: .f32, shape: [2, 3]), .init(name: "b", dtype: .bf16, shape: [5]),
        ])
        try writer.append([1, 2, 3, 4, 5, 6], as: .f32)
        try writer.append([1, 2, 3, 4, 5.01], as: .bf16)
        try writer.finish()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(length % 8 == 0)
        #expect(bytes.count == 8 + Int(length) + 24 + 10)
        let file = try SafetensorsFile(path: path)
        #expect(try file.floats("a") == [1, 2, 3, 4, 5, 6])
        #expect(try file.floats("b") == [1, 2, 3, 4, 5])
        #expect(file.metadata == ["format": "pt"])
    }

    @Test func writerRefusesTooMuchOrTooLittleData() throws {
        let dir = try TemporaryDirectory()
        let writer = try SafetensorsWriter(path: dir.path("w.safetensors"), entries: [.init(name: "a", dtype: .f32, shape: [2])])
        #expect(throws: CheckpointError.self) { try writer.finish() }
        #expect(throws: CheckpointError.self) { try writer.append([1, 2, 3], as: .f32) }
    }
}

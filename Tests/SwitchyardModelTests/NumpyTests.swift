import Foundation
import Testing
@testable import SwitchyardModel

@Suite struct NumpyTests {
    @Test func encodesExactlyAsNumpySaves() {
        // numpy.save(f, numpy.arange(6, dtype='<f4').reshape(2, 3)) writes these header bytes.
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + String(repeating: " ", count: 58) + "\n"
        let expected = Data([0x93] + Array("NUMPY".utf8) + [1, 0, 118, 0] + Array(header.utf8)) + Data(float32Bytes([0, 1, 2, 3, 4, 5]))
        #expect(NumpyArray(shape: [2, 3], values: [0, 1, 2, 3, 4, 5]).encoded() == expected)
    }

    @Test(arguments: [[Int](), [5], [2, 3], [2, 1, 4], [0, 3]])
    func roundTripsAndAlignsTheData(shape: [Int]) throws {
        let count = shape.reduce(1, *)
        let array = NumpyArray(shape: shape, values: (0..<count).map { Float($0) * 0.25 - 1 })
        let data = array.encoded()
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(data[10 + headerLength - 1] == UInt8(ascii: "\n"))
        #expect(try NumpyArray.decode(data, file: "a.npy") == array)
        let dir = try TemporaryDirectory()
        let url = URL(fileURLWithPath: dir.path("a.npy"))
        try array.write(to: url)
        #expect(try NumpyArray.read(contentsOf: url) == array)
    }

    @Test func oneDimensionalShapesAreWrittenAsOneTuples() {
        let text = String(decoding: NumpyArray(shape: [5], values: [1, 2, 3, 4, 5]).encoded().prefix(80), as: UTF8.self)
        #expect(text.contains("'shape': (5,), }"))
    }

    @Test func refusesOtherDTypesOrdersAndShortFiles() throws {
        func npy(_ header: String, data: [UInt8]) -> Data {
            Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + data)
        }
        let f8 = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n", data: [UInt8](repeating: 0, count: 8))
        #expect(throws: CheckpointError(file: "x.npy", problem: "dtype '<f8' is not float32 ('<f4')")) { try NumpyArray.decode(f8, file: "x.npy") }
        let fortran = npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n", data: [0, 0, 0, 0])
        #expect(throws: CheckpointError(file: "x.npy", problem: "is in Fortran order; only C order is supported")) { try NumpyArray.decode(fortran, file: "x.npy") }
        let short = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }\n", data: [0, 0, 0, 0])
        #expect(throws: CheckpointError(file: "x.npy", problem: "shape [2, 2] needs 16 bytes of data, the file holds 4")) { try NumpyArray.decode(short, file: "x.npy") }
        #expect(throws: CheckpointError.self) { try NumpyArray.decode(Data("not numpy".utf8), file: "x.npy") }
        #expect(throws: CheckpointError.self) { try NumpyArray.decode(Data([0x93] + Array("NUMPY".utf8) + [1, 0, 200, 0]), file: "x.npy") }
    }
}

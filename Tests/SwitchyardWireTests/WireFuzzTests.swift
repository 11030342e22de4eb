import Testing
@testable import SwitchyardWire
import SwitchyardCore

/// Random damage to valid frames: decoding must throw a `WireError` or give a frame that
/// re-encodes to exactly the bytes it came from (the encoding is canonical), never crash.
@Suite struct WireFuzzTests {
    let decoder = WireSamples.decoder

    enum Damage: CaseIterable { case flipBit, setByte, setWord, truncate, extend, dropRange }

    func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        let rounds = 1 + Int(random.next() % 3)
        for _ in 0..<rounds {
            guard !bytes.isEmpty else { break }
            // Most damage goes to the header and metadata, where validation lives.
            let span = random.next() % 4 == 0 ? bytes.count : min(bytes.count, 256)
            let offset = Int(random.next() % UInt64(span))
            switch Damage.allCases[Int(random.next() % UInt64(Damage.allCases.count))] {
            case .flipBit: bytes[offset] ^= 1 << UInt8(random.next() % 8)
            case .setByte: bytes[offset] = UInt8(truncatingIfNeeded: random.next())
            case .setWord:
                let interesting: [UInt32] = [0, 1, 2, 4, 63, 64, 127, 128, 1023, 1024, 1025, 0x7FFF_FFFF, .max]
                let value = random.next() % 2 == 0 ? interesting[Int(random.next() % UInt64(interesting.count))] : UInt32(truncatingIfNeeded: random.next())
                let start = offset & ~3
                if start + 4 <= bytes.count { WireSamples.set32(&bytes, at: start, value) }
            case .truncate: bytes.removeLast(bytes.count - offset)
            case .extend: bytes += (0..<Int(random.next() % 16)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            case .dropRange: bytes.removeSubrange(offset..<min(bytes.count, offset + 1 + Int(random.next() % 8)))
            }
        }
        // Half the time the checksum is made right again, so the body's validation is reached.
        if random.next() % 2 == 0 { WireSamples.reseal(&bytes) }
        return bytes
    }

    @Test func randomMutationsNeverCrash() {
        var random = SplitMix64(seed: 0x5EED)
        let frames = WireSamples.all.map { $0.encoded().contiguous() }
        var decoded = 0, refused = 0
        for iteration in 0..<4000 {
            let original = frames[iteration % frames.count]
            let bytes = mutate(original, &random)
            do {
                let frame = try decoder.decode(bytes)
                decoded += 1
                #expect(frame.encoded().contiguous() == bytes, "iteration \(iteration) decoded to a frame that encodes differently")
                if case let .dispatch(dispatch) = frame.body {
                    #expect(dispatch.routes.experts.allSatisfy { $0 < 128 })
                    #expect(zip(dispatch.routes.tokens, dispatch.routes.tokens.dropFirst()).allSatisfy { $0 < $1 })
                }
            } catch {
                refused += 1
                #expect(!error.description.isEmpty)
            }
        }
        #expect(refused > 3000, "only \(refused) of 4000 mutations were refused")
        #expect(decoded > 0, "no mutation survived: the fuzz never reached a successful decode")
    }

    @Test func randomPartsNeverCrash() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let frame = WireSamples.all[Int(random.next() % UInt64(WireSamples.all.count))].encoded()
            let payload = frame.payload.map { $0.withUnsafeBytes { Array($0) } } ?? []
            var parts = [frame.header, frame.metadata, payload]
            let which = Int(random.next() % 3)
            parts[which] = mutate(parts[which], &random)
            do { _ = try decoder.decode(parts: parts) } catch { #expect(!error.description.isEmpty) }
        }
    }
}

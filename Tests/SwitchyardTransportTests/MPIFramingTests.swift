import Testing
import SwitchyardWire
@testable import SwitchyardTransport

/// How frames are cut into MPI messages and joined again, without MPI: the pieces a sender
/// posts and what a receiver with buffers of `chunkBytes` makes of them.
@Suite struct MPIFramingTests {
    let limits = WireLimits(layers: 1, experts: 8, expertsPerToken: 2, hidden: 16, maxTokens: 64)

    /// A combine of `tokens` rows of 16 bf16 values: 64 + 4 × tokens + 32 × tokens bytes.
    func combine(tokens: Int, step: UInt64 = 1) -> EncodedFrame {
        let values = (0..<(tokens * 16)).map { Float($0 % 50) / 4 }
        return WireFrame(address: FrameAddress(step: step), host: 3,
                         body: .combine(Combine(tokens: (0..<UInt32(tokens)).map { $0 }, partialSums: ActivationRows(rows: tokens, width: 16, floats: values, as: .bf16))))
            .encoded()
    }

    func buffer(_ bytes: ArraySlice<UInt8>) -> MPIFrameBuffer {
        let buffer = MPIFrameBuffer(capacity: bytes.count)
        Array(bytes).withUnsafeBytes { buffer.append($0) }
        return buffer
    }

    @Test func chunksCoverEveryByteOnceInOrderAndSkipEmptyParts() {
        let chunks = MPIFraming.chunks(partLengths: [64, 10, 300], chunkBytes: 128)
        #expect(chunks.map { $0.reduce(0) { $0 + $1.length } } == [128, 128, 118])
        #expect(chunks[0] == [.init(part: 0, offset: 0, length: 64), .init(part: 1, offset: 0, length: 10), .init(part: 2, offset: 0, length: 54)])
        #expect(chunks[1] == [.init(part: 2, offset: 54, length: 128)])
        #expect(chunks[2] == [.init(part: 2, offset: 182, length: 118)])
        #expect(MPIFraming.chunks(partLengths: [64, 0, 0], chunkBytes: 128) == [[.init(part: 0, offset: 0, length: 64)]])
        // A frame of exactly one chunk is one message.
        #expect(MPIFraming.chunks(partLengths: [64, 64, 0], chunkBytes: 128).count == 1)
    }

    @Test func aFrameShorterThanAChunkIsTheMessageItself() throws {
        var assembler = MPIFrameAssembler(chunkBytes: 4096, decoder: WireDecoder(limits: limits))
        let frame = combine(tokens: 4)
        let message = buffer(frame.contiguous()[...])
        guard case let .frame(whole) = assembler.accept(message) else { Issue.record("not passed through"); return }
        #expect(whole === message)
        #expect(try ReceivedMessage(host: 3, borrowing: whole).decode(with: WireDecoder(limits: limits)) == (try WireDecoder(limits: limits).decode(frame.contiguous())))
    }

    @Test func piecesOfALongFrameAreJoinedAndDecode() throws {
        let frame = combine(tokens: 40)
        let bytes = frame.contiguous()
        #expect(bytes.count == 64 + 40 * 4 + 40 * 32)
        var assembler = MPIFrameAssembler(chunkBytes: 256, decoder: WireDecoder(limits: limits))
        // What the sender posts, read back from the parts as MPI's datatype would.
        let parts = [frame.header, frame.metadata, frame.payload!.withUnsafeBytes { Array($0) }]
        let messages = MPIFraming.chunks(partLengths: parts.map(\.count), chunkBytes: 256).map { blocks in
            blocks.flatMap { parts[$0.part][$0.offset..<($0.offset + $0.length)] }
        }
        #expect(messages.count == (bytes.count + 255) / 256)
        var joined: MPIFrameBuffer?
        for (index, message) in messages.enumerated() {
            switch assembler.accept(buffer(message[...])) {
            case .pending: #expect(index < messages.count - 1)
            case let .frame(whole): joined = whole as? MPIFrameBuffer; #expect(index == messages.count - 1)
            case let .dropped(why): Issue.record("dropped: \(why)")
            }
        }
        let whole = try #require(joined)
        #expect(Array(whole.bytes) == bytes)
        #expect(!assembler.isJoining)
        let decoded = try ReceivedMessage(host: 3, borrowing: whole).decode(with: WireDecoder(limits: limits))
        #expect(decoded == (try WireDecoder(limits: limits).decode(bytes)))
    }

    @Test func aPieceOutOfTurnDropsTheFrameAndTheNextFrameStillArrives() {
        let bytes = combine(tokens: 40).contiguous()
        var assembler = MPIFrameAssembler(chunkBytes: 256, decoder: WireDecoder(limits: limits))
        guard case .pending = assembler.accept(buffer(bytes[0..<256])) else { Issue.record("first piece not taken"); return }
        // 100 bytes where a full piece of 256 was due.
        guard case let .dropped(why) = assembler.accept(buffer(bytes[256..<356])) else { Issue.record("not dropped"); return }
        #expect(why.contains("100 bytes") && why.contains("256"))
        let next = buffer(combine(tokens: 2, step: 2).contiguous()[...])
        guard case let .frame(whole) = assembler.accept(next) else { Issue.record("next frame lost"); return }
        #expect(whole === next)
    }

    /// A header declaring more than the limits allow opens nothing: the piece goes to the decoder, which refuses it.
    @Test func aLongerFrameThanTheLimitsAllowIsRefusedWithoutAllocatingForIt() {
        let small = WireLimits(layers: 1, experts: 8, expertsPerToken: 2, hidden: 16, maxTokens: 8)
        let bytes = combine(tokens: 40).contiguous()
        var assembler = MPIFrameAssembler(chunkBytes: 256, decoder: WireDecoder(limits: small))
        let first = buffer(bytes[0..<256])
        guard case let .frame(whole) = assembler.accept(first) else { Issue.record("not handed to the decoder"); return }
        #expect(whole === first && !assembler.isJoining)
        #expect(throws: WireError.self) { try ReceivedMessage(host: 3, borrowing: whole).decode(with: WireDecoder(limits: small)) }
    }

    @Test func aPayloadOfAtLeast32KiBGoesSplitUnlessTheHeadFillsAChunk() {
        #expect(MPIFraming.splits(headBytes: 64 + 900, payloadBytes: 32 << 10))
        #expect(!MPIFraming.splits(headBytes: 64 + 900, payloadBytes: (32 << 10) - 1))
        #expect(!MPIFraming.splits(headBytes: 4096, payloadBytes: 1 << 20, chunkBytes: 4096))
        #expect(MPIFraming.splits(headBytes: 4095, payloadBytes: 1 << 20, chunkBytes: 4096))
    }

    /// A split frame as the sender posts it: header and metadata in one message, then the payload
    /// in messages of at most `chunkBytes`.
    func splitMessages(_ frame: EncodedFrame, chunkBytes: Int) -> [[UInt8]] {
        let payload = frame.payload!.withUnsafeBytes { Array($0) }
        return [frame.header + frame.metadata] + stride(from: 0, to: payload.count, by: chunkBytes).map {
            Array(payload[$0..<min(payload.count, $0 + chunkBytes)])
        }
    }

    @Test func aSplitFramesPayloadIsDecodedWhereItLandedWithoutJoining() throws {
        let frame = combine(tokens: 40)
        let messages = splitMessages(frame, chunkBytes: 4096)
        #expect(messages.map(\.count) == [64 + 160, 1280])
        var assembler = MPIFrameAssembler(chunkBytes: 4096, decoder: WireDecoder(limits: limits))
        guard case .pending = assembler.accept(buffer(messages[0][...])) else { Issue.record("head not taken"); return }
        #expect(assembler.isJoining)
        let payload = buffer(messages[1][...])
        guard case let .frame(whole) = assembler.accept(payload) else { Issue.record("payload not taken"); return }
        let split = try #require(whole as? MPISplitFrame)
        #expect(split.payload === payload && !assembler.isJoining)
        let decoded = try ReceivedMessage(host: 3, borrowing: whole).decode(with: WireDecoder(limits: limits))
        #expect(decoded == (try WireDecoder(limits: limits).decode(frame.contiguous())))
    }

    @Test func aSplitFramesPayloadInSeveralPiecesIsJoinedAndDecodes() throws {
        let frame = combine(tokens: 40)
        let messages = splitMessages(frame, chunkBytes: 512)
        #expect(messages.map(\.count) == [64 + 160, 512, 512, 256])
        var assembler = MPIFrameAssembler(chunkBytes: 512, decoder: WireDecoder(limits: limits))
        var result: BorrowedParts?
        for (index, message) in messages.enumerated() {
            switch assembler.accept(buffer(message[...])) {
            case .pending: #expect(index < messages.count - 1)
            case let .frame(whole): result = whole; #expect(index == messages.count - 1)
            case let .dropped(why): Issue.record("dropped: \(why)")
            }
        }
        let whole = try #require(result)
        let decoded = try ReceivedMessage(host: 3, borrowing: whole).decode(with: WireDecoder(limits: limits))
        #expect(decoded == (try WireDecoder(limits: limits).decode(frame.contiguous())))
    }

    @Test func aPayloadPieceOfTheWrongLengthDropsTheSplitFrameAndTheNextFrameStillArrives() {
        let messages = splitMessages(combine(tokens: 40), chunkBytes: 4096)
        var assembler = MPIFrameAssembler(chunkBytes: 4096, decoder: WireDecoder(limits: limits))
        guard case .pending = assembler.accept(buffer(messages[0][...])) else { Issue.record("head not taken"); return }
        guard case let .dropped(why) = assembler.accept(buffer(messages[1][0..<1000])) else { Issue.record("not dropped"); return }
        #expect(why.contains("1000 bytes") && why.contains("1280"))
        #expect(!assembler.isJoining)
        let next = buffer(combine(tokens: 2, step: 2).contiguous()[...])
        guard case let .frame(whole) = assembler.accept(next) else { Issue.record("next frame lost"); return }
        #expect(whole === next)
    }
}

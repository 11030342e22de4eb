/// The elements a weight matrix reads: either in place in a memory-mapped checkpoint (no copy, so
/// processes on one machine share the page cache) or in memory of its own. Immutable once made;
/// `owner` keeps the mapping or the allocation alive as long as any copy of the buffer exists.
public struct WeightBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    // @unchecked: the pointer is read-only and its memory lives as long as `owner`.
    private let start: UnsafePointer<Element>?
    public let count: Int
    private let owner: AnyObject
    /// Whether the elements are read from a memory-mapped file rather than owned memory.
    public let isMapped: Bool

    /// A buffer of its own holding a copy of `elements`.
    public init(_ elements: [Element]) {
        let memory = OwnedMemory<Element>(elements)
        start = UnsafePointer(memory.pointer)
        count = elements.count
        owner = memory
        isMapped = false
    }

    /// `count` elements at `start` inside a mapping that `owner` keeps alive; `start` must be
    /// aligned for `Element`.
    init(mappedAt start: UnsafeRawPointer?, count: Int, owner: AnyObject) {
        precondition(count == 0 || Int(bitPattern: start) % MemoryLayout<Element>.alignment == 0,
                     "mapped weights at a misaligned address")
        self.start = start.map { $0.assumingMemoryBound(to: Element.self) }
        self.count = count
        self.owner = owner
        isMapped = true
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(UnsafeBufferPointer(start: start, count: count)) }
    }

    /// The elements as an array (a copy).
    public var array: [Element] { withUnsafeBufferPointer { Array($0) } }

    /// Elements `range` as an array (a copy).
    public func elements(_ range: Range<Int>) -> [Element] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "elements \(range) of \(count)")
        return withUnsafeBufferPointer { Array($0[range]) }
    }
}

extension WeightBuffer: Equatable where Element: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        a.count == b.count && a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.elementsEqual(y) } }
    }
}

/// Memory a `WeightBuffer` owns, freed with the last buffer that refers to it.
private final class OwnedMemory<Element: BitwiseCopyable> {
    let pointer: UnsafeMutablePointer<Element>?

    init(_ elements: [Element]) {
        guard !elements.isEmpty else { pointer = nil; return }
        let memory = UnsafeMutablePointer<Element>.allocate(capacity: elements.count)
        _ = UnsafeMutableBufferPointer(start: memory, count: elements.count).initialize(from: elements)
        pointer = memory
    }

    deinit { pointer?.deallocate() }
}

/// A pointer handed to the threads of one parallel loop, each of which touches only its own
/// part of the memory; the loop's caller keeps the memory alive until the loop returns.
public struct SendablePointer<Pointee>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Pointee>

    public init(_ base: UnsafeMutablePointer<Pointee>) { self.base = base }
    public init(_ base: UnsafePointer<Pointee>) { self.base = UnsafeMutablePointer(mutating: base) }
}

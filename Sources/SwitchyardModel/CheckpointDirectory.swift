import Foundation
import SwitchyardCore
import SwitchyardModelConfig

/// A Hugging Face model directory: config.json plus `model.safetensors`, or shards listed by
/// `model.safetensors.index.json`. Shards open on first use, each once; tensors are read on request.
public final class CheckpointDirectory: WeightSource, @unchecked Sendable {
    // Everything but `opened` is immutable after init; `opened` changes only under `lock`.
    public let url: URL
    public let config: ModelConfig
    /// `checkpoint:fnv1a64=…` over config.json's bytes and every shard's header JSON.
    public let fingerprint: String
    /// The file that says where tensors are: the index, or the single model.safetensors.
    public let catalogPath: String
    /// Tensor name → shard file name, when the checkpoint is sharded.
    private let weightMap: [String: String]?
    /// Shard file names, sorted.
    public let shardFiles: [String]
    private let lock = NSLock()
    private var opened: [String: SafetensorsFile] = [:]

    public static let singleFile = "model.safetensors"
    public static let indexFile = "model.safetensors.index.json"
    /// Largest index read: DeepSeek-V3's, with a name for each of ~90,000 tensors, is under 10 MB.
    public static let maximumIndexBytes = 64 << 20

    public init(_ url: URL) throws {
        self.url = url
        let configURL = url.appendingPathComponent("config.json")
        let configBytes: Data
        do { configBytes = try RegularFile.contents(configURL.path, limit: ModelConfig.maximumFileBytes) } catch {
            throw CheckpointError(file: configURL.path, problem: error.openErrno == nil ? error.problem : "is missing or unreadable; a checkpoint directory needs config.json")
        }
        do { config = try ModelConfig.decode(configBytes, file: configURL.path) } catch let error as ModelConfigError {
            throw CheckpointError(file: error.file, problem: "\(error.field): \(error.problem)")
        }
        let indexURL = url.appendingPathComponent(Self.indexFile)
        if FileManager.default.fileExists(atPath: indexURL.path) {
            catalogPath = indexURL.path
            let map = try Self.readIndex(indexURL)
            weightMap = map
            shardFiles = Set(map.values).sorted()
            for shard in shardFiles where !FileManager.default.fileExists(atPath: url.appendingPathComponent(shard).path) {
                throw CheckpointError(file: indexURL.path, problem: "names shard '\(shard)', which is not in \(url.path)")
            }
        } else {
            catalogPath = url.appendingPathComponent(Self.singleFile).path
            guard FileManager.default.fileExists(atPath: catalogPath) else {
                throw CheckpointError(file: url.path, problem: "holds neither \(Self.singleFile) nor \(Self.indexFile)")
            }
            weightMap = nil
            shardFiles = [Self.singleFile]
        }
        var digest = FNV1a64()
        digest.add(configBytes)
        for shard in shardFiles {
            digest.add(shard)
            digest.add(try Self.rawHeader(url.appendingPathComponent(shard).path))
        }
        fingerprint = "checkpoint:fnv1a64=\(digest.hex)"
    }

    // MARK: Finding tensors

    /// The shard holding `name`; opens it the first time.
    public func file(holding name: String) throws -> SafetensorsFile {
        if let weightMap {
            guard let shard = weightMap[name] else { throw CheckpointError(file: catalogPath, tensor: name, problem: "is not in the checkpoint's weight_map") }
            let file = try open(shard)
            guard file.tensors[name] != nil else {
                throw CheckpointError(file: file.path, tensor: name, problem: "is missing, though \(Self.indexFile) places it in this shard")
            }
            return file
        }
        let file = try open(Self.singleFile)
        guard file.tensors[name] != nil else { throw CheckpointError(file: file.path, tensor: name, problem: "is not in the checkpoint") }
        return file
    }

    public func contains(_ name: String) throws -> Bool {
        if let weightMap { return weightMap[name] != nil }
        return try open(Self.singleFile).tensors[name] != nil
    }

    /// Every tensor name in the checkpoint, sorted.
    public func tensorNames() throws -> [String] {
        if let weightMap { return weightMap.keys.sorted() }
        return try open(Self.singleFile).tensors.keys.sorted()
    }

    private func open(_ shard: String) throws -> SafetensorsFile {
        try lock.withLock {
            if let file = opened[shard] { return file }
            let file = try SafetensorsFile(path: url.appendingPathComponent(shard).path)
            opened[shard] = file
            return file
        }
    }

    // MARK: Statistics

    /// Bytes handed out of tensor `name` so far (zero when its shard was never opened).
    public func bytesRead(tensor name: String) -> Int {
        let shard = weightMap?[name] ?? Self.singleFile
        return lock.withLock { opened[shard] }?.bytesRead(tensor: name) ?? 0
    }

    public var totalBytesRead: Int { lock.withLock { Array(opened.values) }.reduce(0) { $0 + $1.totalBytesRead } }

    /// How many shards have been opened so far.
    public var openedShardCount: Int { lock.withLock { opened.count } }

    // MARK: Files

    private static func readIndex(_ indexURL: URL) throws -> [String: String] {
        let data: Data
        do { data = try RegularFile.contents(indexURL.path, limit: maximumIndexBytes) } catch {
            throw CheckpointError(file: indexURL.path, problem: error.problem)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CheckpointError(file: indexURL.path, problem: "is not a JSON object")
        }
        guard let map = object["weight_map"] as? [String: String] else {
            throw CheckpointError(file: indexURL.path, problem: "has no weight_map object of tensor name → shard file")
        }
        for shard in Set(map.values) where shard.contains("/") || shard.hasPrefix(".") {
            throw CheckpointError(file: indexURL.path, problem: "names shard '\(shard)', which is not a file name inside the directory")
        }
        return map
    }

    /// The header bytes a fingerprint digests, read leniently: a damaged file still gets a digest,
    /// and its damage is reported when a tensor is read from it. Only a shard that is not a
    /// regular file (a FIFO would block the read) is refused here.
    private static func rawHeader(_ path: String) throws -> Data {
        let fd: Int32
        do { fd = try RegularFile.open(path) } catch { throw CheckpointError(file: path, problem: error.problem) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? handle.close() }
        guard let lengthBytes = try? handle.read(upToCount: 8), lengthBytes.count == 8 else { return Data() }
        let length = lengthBytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
        guard length <= UInt64(SafetensorsFile.maximumHeaderBytes) else { return lengthBytes }
        return (try? handle.read(upToCount: Int(length))) ?? Data()
    }
}

import Foundation
import SwitchyardModelConfig

/// Writes a model from any `WeightSource` as a Hugging Face directory that transformers 5.x loads:
/// config.json, and model.safetensors or shards with model.safetensors.index.json.
public enum CheckpointWriter {
    public struct Summary: Sendable {
        /// File names written, safetensors files first in order, then the index if any, then config.json.
        public var files: [String]
        public var tensorCount: Int
        /// Bytes of tensor data, headers not counted.
        public var dataBytes: Int
    }

    /// Writes `source`'s weights for `config` into `directory` (created if needed). Tensors go into
    /// shards of at most `shardBytes` of data each (a tensor larger than that gets a shard of its own);
    /// nil writes one file. Experts are asked for one at a time, so memory holds one tensor at most.
    @discardableResult
    public static func write(
        _ source: WeightSource, config: ModelConfig, dtype: WeightDType, expertLayout: ExpertLayout,
        to directory: URL, shardBytes: Int? = nil
    ) throws -> Summary {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let layout = CheckpointLayout(config: config, expertLayout: expertLayout)
        let entries = layout.tensors.map { SafetensorsWriter.Entry(name: $0.name, dtype: dtype.safetensors, shape: $0.shape) }
        let shards = split(entries, shardBytes: shardBytes)
        let names = shards.count == 1
            ? [CheckpointDirectory.singleFile]
            : shards.indices.map { String(format: "model-%05d-of-%05d.safetensors", $0 + 1, shards.count) }
        var next = 0
        var experts = ExpertCache(source: source)
        for (shard, name) in zip(shards, names) {
            let writer = try SafetensorsWriter(path: directory.appendingPathComponent(name).path, entries: shard)
            for _ in shard {
                try writeData(of: layout.tensors[next], from: source, experts: &experts, config: config, dtype: dtype, into: writer)
                next += 1
            }
            try writer.finish()
        }
        var files = names
        let dataBytes = entries.reduce(0) { $0 + $1.byteCount }
        if shards.count > 1 {
            var weightMap: [String: String] = [:]
            for (shard, name) in zip(shards, names) { for entry in shard { weightMap[entry.name] = name } }
            let index: [String: Any] = ["metadata": ["total_size": dataBytes], "weight_map": weightMap]
            try JSONSerialization.data(withJSONObject: index, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                .write(to: directory.appendingPathComponent(CheckpointDirectory.indexFile))
            files.append(CheckpointDirectory.indexFile)
        }
        try configJSON(config, dtype: dtype).write(to: directory.appendingPathComponent("config.json"))
        files.append("config.json")
        return Summary(files: files, tensorCount: entries.count, dataBytes: dataBytes)
    }

    /// config.json: the configuration under its own keys plus what transformers needs to pick the class.
    public static func configJSON(_ config: ModelConfig, dtype: WeightDType) throws -> Data {
        guard var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any] else {
            preconditionFailure("ModelConfig does not encode to a JSON object")
        }
        object["architectures"] = ["Mistral4ForCausalLM"]
        object["torch_dtype"] = dtype.torchName
        object["dtype"] = dtype.torchName
        object["hidden_act"] = "silu"
        return try ConfigJSONText.render(object)
    }

    /// Consecutive runs of entries whose data fits in `shardBytes`.
    static func split(_ entries: [SafetensorsWriter.Entry], shardBytes: Int?) -> [[SafetensorsWriter.Entry]] {
        guard let shardBytes else { return [entries] }
        var shards: [[SafetensorsWriter.Entry]] = [[]]
        var size = 0
        for entry in entries {
            if !shards[shards.count - 1].isEmpty, size + entry.byteCount > shardBytes {
                shards.append([])
                size = 0
            }
            shards[shards.count - 1].append(entry)
            size += entry.byteCount
        }
        return shards
    }

    private static func writeData(of tensor: CheckpointTensor, from source: WeightSource, experts: inout ExpertCache,
                                  config: ModelConfig, dtype: WeightDType, into writer: SafetensorsWriter) throws {
        switch tensor.content {
        case .vector:
            try writer.append(try source.vector(tensor.name, count: tensor.shape[0]), as: dtype)
        case .matrix:
            try writer.append(try source.matrix(tensor.name, rows: tensor.shape[0], cols: tensor.shape[1]), as: dtype)
        case let .fusedGateUp(layer):
            for e in 0..<config.nRoutedExperts {
                let expert = try source.expert(layer: layer, expert: e)
                try writer.append(expert.gateProj, as: dtype)
                try writer.append(expert.upProj, as: dtype)
            }
        case let .fusedDown(layer):
            for e in 0..<config.nRoutedExperts {
                try writer.append(try source.expert(layer: layer, expert: e).downProj, as: dtype)
            }
        case let .expertProjection(layer, e, projection):
            // Experts are asked for whole, whatever layout the source has; its three tensors come in a row.
            let expert = try experts.expert(layer: layer, expert: e)
            try writer.append(expert[projection], as: dtype)
        }
    }

    /// The last expert asked for, kept while its three projections are written one after another.
    private struct ExpertCache {
        let source: WeightSource
        var key: (layer: Int, expert: Int)?
        var weights: ExpertWeights?

        mutating func expert(layer: Int, expert: Int) throws -> ExpertWeights {
            if let key, key == (layer, expert), let weights { return weights }
            let loaded = try source.expert(layer: layer, expert: expert)
            (key, weights) = ((layer, expert), loaded)
            return loaded
        }
    }
}

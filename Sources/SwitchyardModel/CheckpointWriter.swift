import Foundation
import SwitchyardModelConfig
import SwitchyardCore

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
        try OutputFile.makeDirectory(directory.path)
        let layout = CheckpointLayout(config: config, expertLayout: expertLayout)
        let planned = plan(layout, dtype: dtype)
        let entries = planned.map(\.entry)
        let shards = split(entries, shardBytes: shardBytes)
        let names = shards.count == 1
            ? [CheckpointDirectory.singleFile]
            : shards.indices.map { String(format: "model-%05d-of-%05d.safetensors", $0 + 1, shards.count) }
        var next = 0
        var state = WriteState(experts: ExpertCache(source: source))
        for (shard, name) in zip(shards, names) {
            let writer = try SafetensorsWriter(path: directory.appendingPathComponent(name).path, entries: shard)
            for _ in shard {
                try writeData(of: planned[next], from: source, state: &state, config: config, dtype: dtype, into: writer)
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
            try OutputFile.write(try JSONSerialization.data(withJSONObject: index, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]),
                                 to: directory.appendingPathComponent(CheckpointDirectory.indexFile).path)
            files.append(CheckpointDirectory.indexFile)
        }
        try OutputFile.write(try configJSON(config, dtype: dtype), to: directory.appendingPathComponent("config.json").path)
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
        if dtype == .fp8 {
            // transformers' fine-grained FP8 (FineGrainedFP8Config), as DeepSeek-V3's release writes it.
            object["quantization_config"] = [
                "quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                "weight_block_size": [FP8BlockScaled.blockSize, FP8BlockScaled.blockSize],
            ] as [String: Any]
        }
        return try ConfigJSONText.render(object)
    }

    /// One entry of the files: a layout tensor's data, or (`isScale`) the block scales of an FP8 one.
    struct PlannedTensor {
        let tensor: CheckpointTensor
        let isScale: Bool
        let entry: SafetensorsWriter.Entry
    }

    /// The entries for `layout` in `dtype`: FP8 Linear weights as F8_E4M3, each followed by its
    /// F32 `_scale_inv` [⌈rows/128⌉, ⌈cols/128⌉] (per expert for fused tensors); the rest plain.
    static func plan(_ layout: CheckpointLayout, dtype: WeightDType) -> [PlannedTensor] {
        layout.tensors.flatMap { tensor -> [PlannedTensor] in
            guard dtype == .fp8, tensor.shape.count >= 2, TensorNames.isFP8Linear(tensor.name) else {
                return [PlannedTensor(tensor: tensor, isScale: false, entry: .init(name: tensor.name, dtype: dtype.plainSafetensors, shape: tensor.shape))]
            }
            let (rows, cols) = (tensor.shape[tensor.shape.count - 2], tensor.shape[tensor.shape.count - 1])
            let grid = FP8BlockScaled.scaleShape(rows: rows, cols: cols)
            return [
                PlannedTensor(tensor: tensor, isScale: false, entry: .init(name: tensor.name, dtype: .f8E4M3, shape: tensor.shape)),
                PlannedTensor(tensor: tensor, isScale: true, entry: .init(name: TensorNames.fp8Scale(of: tensor.name), dtype: .f32,
                                                                         shape: tensor.shape.dropLast(2) + [grid.rows, grid.cols])),
            ]
        }
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

    /// What writing carries from one entry to the next: the expert being written, and the scales of
    /// the FP8 tensor just written, for its `_scale_inv` entry.
    private struct WriteState {
        var experts: ExpertCache
        var scales: [Float] = []
    }

    private static func writeData(of planned: PlannedTensor, from source: WeightSource, state: inout WriteState,
                                  config: ModelConfig, dtype: WeightDType, into writer: SafetensorsWriter) throws {
        let tensor = planned.tensor
        if planned.isScale {
            guard state.scales.count == planned.entry.shape.reduce(1, *) else {
                throw CheckpointError(file: writer.path, tensor: planned.entry.name, problem: "has \(state.scales.count) scales for shape \(planned.entry.shape)")
            }
            try writer.append(state.scales, as: .f32)
            state.scales = []
            return
        }
        if planned.entry.dtype == .f8E4M3 {
            try writeFP8(tensor, from: source, state: &state, config: config, into: writer)
            return
        }
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
            let expert = try state.experts.expert(layer: layer, expert: e)
            try writer.append(expert[projection], as: dtype)
        }
    }

    /// An FP8 tensor's codes, its scales kept in `state` for the `_scale_inv` entry that follows.
    private static func writeFP8(_ tensor: CheckpointTensor, from source: WeightSource, state: inout WriteState,
                                 config: ModelConfig, into writer: SafetensorsWriter) throws {
        func blocks(_ matrix: WeightMatrix, _ what: String) throws -> FP8BlockScaled {
            guard case let .fp8(blocks) = matrix.storage else {
                throw CheckpointError(file: writer.path, tensor: tensor.name, problem: "\(what) is not FP8 in the source; FP8 checkpoints are written from FP8 weights")
            }
            return blocks
        }
        // A matrix stands on its own grid when it starts a block row, or lies inside one block row.
        func whole(_ matrix: WeightMatrix, _ what: String) throws -> FP8BlockScaled {
            let b = try blocks(matrix, what)
            guard b.rowPhase == 0 || b.rowPhase + matrix.rows <= FP8BlockScaled.blockSize else {
                throw CheckpointError(file: writer.path, tensor: tensor.name,
                                      problem: "\(what) starts mid-block (quantised with its gate as one fused matrix), so it cannot be stored on its own; write the fused layout")
            }
            return b
        }
        switch tensor.content {
        case .vector:
            preconditionFailure("vectors are never FP8")
        case .matrix:
            let b = try whole(try source.matrix(tensor.name, rows: tensor.shape[0], cols: tensor.shape[1]), "the matrix")
            try writer.append(b.codes)
            state.scales = b.scaleInv
        case let .fusedGateUp(layer):
            let i = config.moeIntermediateSize, block = FP8BlockScaled.blockSize
            for e in 0..<config.nRoutedExperts {
                let expert = try source.expert(layer: layer, expert: e)
                let gate = try whole(expert.gateProj, "expert \(e)'s \(TensorNames.Projection.gate.rawValue)"), up = try blocks(expert.upProj, "expert \(e)'s \(TensorNames.Projection.up.rawValue)")
                // One scale grid over the fused 2·I rows: up continues gate's last block row when I is not a multiple of 128.
                var upScales = up.scaleInv[...]
                let shared = up.rowPhase == 0 ? 0 : FP8BlockScaled.scaleShape(rows: 1, cols: config.hiddenSize).cols
                guard up.rowPhase == i % block, gate.scaleInv.suffix(shared) == upScales.prefix(shared) else {
                    throw CheckpointError(file: writer.path, tensor: tensor.name,
                                          problem: "expert \(e)'s gate and up projections are not quantised on one 128-row grid, so they cannot be stored fused; write --layout per-expert")
                }
                upScales = upScales.dropFirst(shared)
                try writer.append(gate.codes)
                try writer.append(up.codes)
                state.scales += gate.scaleInv + upScales
            }
        case let .fusedDown(layer):
            for e in 0..<config.nRoutedExperts {
                let down = try whole(try source.expert(layer: layer, expert: e).downProj, "expert \(e)'s \(TensorNames.Projection.down.rawValue)")
                try writer.append(down.codes)
                state.scales += down.scaleInv
            }
        case let .expertProjection(layer, e, projection):
            let expert = try state.experts.expert(layer: layer, expert: e)
            let b = try whole(expert[projection], projection.rawValue)
            try writer.append(b.codes)
            state.scales = b.scaleInv
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

import SwitchyardCore

/// A topology file that cannot describe a system: the one error of JSON input files, naming the
/// file, the JSON path of the value at fault (`$.nodes[1].gpus`) and what is wrong with it.
public typealias TopologyError = JSONFileError

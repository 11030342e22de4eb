import SwitchyardCore

/// A cluster file that cannot describe a cluster: the one error of JSON input files, naming the
/// file, the JSON path (`$.hosts[3].port`) and what is wrong there.
public typealias ClusterError = JSONFileError

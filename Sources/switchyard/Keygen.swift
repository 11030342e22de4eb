import ArgumentParser
import Foundation
import SwitchyardCluster
import SwitchyardTransport

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a CURVE key pair for a coordinator or an expert host of a ZeroMQ cluster.",
        discussion: """
        Writes NAME.key (the public key) and NAME.key_secret (the secret key, mode
        0600) into DIR with libzmq's zmq_curve_keypair, as 40 Z85 characters each. A
        cluster file names each role's public key ("public_key", docs/CLUSTER.md);
        each process finds its secret key beside it or takes it with --secret-key.
        Existing files are never overwritten. docs/SECURITY.md says how keys are
        listed and rotated.

        Example: switchyard keygen --out keys --name coordinator
                 for h in 0 1 2 3; do switchyard keygen --out keys --name host-$h; done
        Defaults: --name the machine's host name.
        """
    )

    @Option(help: "The folder to write the key files into (created mode 0700 if missing).") var out: String
    @Option(help: "The key files' name: NAME.key and NAME.key_secret.") var name: String?

    func run() throws {
        guard CurveKeyPair.isAvailable else { throw ValidationError("this libzmq was built without CURVE; switchyard doctor names it") }
        let name = self.name ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "switchyard"
        let pair = try CurveKeyPair.generate()
        let files = try CurveKeyFile.write(publicKey: pair.publicKey, secretKey: pair.secretKey, folder: out, name: name)
        print("public key \(pair.publicKey)")
        print("wrote \(files.publicFile) and \(files.secretFile) (mode 0600)")
    }
}

extension CurveKeyFile.Problem: InputError {}

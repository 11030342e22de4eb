import Foundation
import SwitchyardCore

/// A CURVE key file as `switchyard keygen` writes it: NAME.key holds the public key and
/// NAME.key_secret the secret key, each 40 Z85 characters and a newline; the secret file is
/// mode 0600. Reading refuses anything else with a message naming the file.
public enum CurveKeyFile {
    public static let publicSuffix = ".key"
    public static let secretSuffix = ".key_secret"

    /// Where the secret key of the public key file `publicFile` lives: beside it, `_secret` appended.
    public static func secretFile(besides publicFile: String) -> String { publicFile + "_secret" }

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ file: String, _ problem: String) { description = "\(file): \(problem)" }
        init(_ error: FileWriteError) { description = error.description }
    }

    /// The Z85 public key in `file`.
    public static func readPublic(_ file: String) throws(Problem) -> String {
        try key(in: read(file, secret: false), file: file)
    }

    /// The Z85 secret key in `file`, which only its owner may read (mode 0600 or stricter), as
    /// ssh does with its keys: a secret anyone can read is no secret.
    public static func readSecret(_ file: String) throws(Problem) -> String {
        try key(in: read(file, secret: true), file: file)
    }

    /// Writes `NAME.key` and `NAME.key_secret` into `folder` (created mode 0700 if missing); refuses
    /// to overwrite either. Returns the two paths.
    @discardableResult
    public static func write(publicKey: String, secretKey: String, folder: String, name: String) throws(Problem) -> (publicFile: String, secretFile: String) {
        guard isZ85Key(publicKey), isZ85Key(secretKey) else { throw Problem(folder, "a CURVE key is 40 Z85 characters") }
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else { throw Problem(name, "is not a key name (no slashes)") }
        if !FileManager.default.fileExists(atPath: folder) {
            do { try OutputFile.makeDirectory(folder, mode: 0o700) } catch { throw Problem(error) }
        }
        let publicFile = folder + "/" + name + publicSuffix, secretFile = folder + "/" + name + secretSuffix
        for file in [publicFile, secretFile] where FileManager.default.fileExists(atPath: file) {
            throw Problem(file, "exists; keys are never overwritten: remove it or choose another --name")
        }
        try create(secretFile, secretKey + "\n", mode: 0o600)
        try create(publicFile, publicKey + "\n", mode: 0o644)
        return (publicFile, secretFile)
    }

    /// 40 characters of the Z85 alphabet that decode to 32 bytes (every 5 characters below 2³²).
    public static func isZ85Key(_ text: String) -> Bool {
        let digits = text.utf8.map { z85Value[Int($0)] }
        guard digits.count == 40, !digits.contains(-1) else { return false }
        for start in stride(from: 0, to: 40, by: 5) {
            let value = digits[start..<start + 5].reduce(UInt64(0)) { $0 * 85 + UInt64($1) }
            if value > UInt64(UInt32.max) { return false }
        }
        return true
    }

    private static let z85Alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)
    private static let z85Value: [Int] = {
        var table = [Int](repeating: -1, count: 256)
        for (value, character) in z85Alphabet.enumerated() { table[Int(character)] = value }
        return table
    }()

    private static func read(_ file: String, secret: Bool) throws(Problem) -> String {
        var status = stat()
        guard stat(file, &status) == 0 else { throw Problem(file, "cannot read the \(secret ? "secret" : "public") key: \(String(cString: strerror(errno)))") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw Problem(file, "is not a regular file") }
        guard status.st_size <= 4096 else { throw Problem(file, "is \(status.st_size) bytes; a key file is 41") }
        if secret, status.st_mode & 0o077 != 0 {
            throw Problem(file, "secret key is readable by others (mode \(String(status.st_mode & 0o777, radix: 8))): chmod 600 it")
        }
        guard let data = FileManager.default.contents(atPath: file) else { throw Problem(file, "cannot be read") }
        return String(decoding: data, as: UTF8.self)
    }

    private static func key(in text: String, file: String) throws(Problem) -> String {
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard isZ85Key(key) else { throw Problem(file, "does not hold a CURVE key (40 Z85 characters, as switchyard keygen writes)") }
        return key
    }

    private static func create(_ file: String, _ text: String, mode: mode_t) throws(Problem) {
        // O_EXCL: a file that appeared meanwhile (or a planted link) is not written through.
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Problem(FileWriteError(path: file, errno: errno)) }
        defer { close(fd) }
        fchmod(fd, mode)
        let bytes = Array(text.utf8)
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count else { throw Problem(FileWriteError(path: file, errno: errno)) }
    }
}

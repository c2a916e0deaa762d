import Crypto
import Foundation
import WasmAOTFormat
import WasmAOTRuntime

/// Objects of translation units, keyed by what determines them: the unit's C,
/// the runtime headers it includes, the clang arguments (paths aside), the
/// clang binary and this compiler's build. A large module's function units
/// name nothing outside their own functions (see ``ModuleLowering/generate``),
/// so after an edit to one function only its unit misses and is compiled again;
/// a module compiled before links from cached objects alone.
///
/// Entries appear atomically (written beside, then renamed), so concurrent
/// compiles never read a partial object. Least recently used entries go
/// when the directory outgrows its limit (`CacheDirectory`).
struct UnitCache: Sendable {
    let directory: String

    init(directory: String) throws(CompileError) {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw .io("cannot create the unit cache '\(directory)': \(error)")
        }
        self.directory = directory
    }

    /// The keys of `units` compiled by `clang` with `arguments` (made with the
    /// placeholder paths of ``placeholder``, so that the work directory does not
    /// enter the key): what they share is hashed once.
    static func keys(units: [String], arguments: [String], clang: String) -> [String] {
        var shared = SHA256()
        let headers = [wasmaot_abi_header_text(), wasmaot_ops_header_text(), wasmaot_simd_header_text()].map { String(cString: $0!) }
        let settings = ["unit cache 1", CompilerInfo.identity, "abi \(WASMAOT_ABI_VERSION)", clangIdentity(clang)] + arguments
        for part in settings + headers {
            shared.update(data: Array(part.utf8))
            shared.update(data: [0])
        }
        return units.map { unit in
            var hasher = shared
            hasher.update(data: Array(unit.utf8))
            return Array(hasher.finalize()).hexDigits
        }
    }

    /// Stand-ins for the paths in a unit's clang command when computing its key.
    static let placeholder = (include: "<include>", source: "<unit>.c", object: "<unit>.o")

    /// The cached object for `key`, if any.
    func object(for key: String) -> String? {
        let path = self.path(key)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        CacheDirectory.touch(path)
        return path
    }

    /// Copies `object` into the cache under `key` (replacing an entry the linker
    /// refused). A cache that cannot be written only costs the next compile time.
    func store(_ object: String, as key: String) {
        try? CacheDirectory.place(at: path(key)) { (partial) throws(CompileError) in
            do { try FileManager.default.copyItem(atPath: object, toPath: partial) } catch { throw .io("\(error)") }
        }
    }

    private func path(_ key: String) -> String {
        (directory as NSString).appendingPathComponent(key + ".o")
    }

    /// The clang binary behind `path` (symlinks resolved) by size and modification
    /// time: a toolchain installed over the old one changes the key.
    private static func clangIdentity(_ path: String) -> String {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let attributes = (try? FileManager.default.attributesOfItem(atPath: resolved)) ?? [:]
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "clang \(resolved) \(size) \(modified)"
    }
}

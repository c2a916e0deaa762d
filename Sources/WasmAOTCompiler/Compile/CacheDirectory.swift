import Foundation

/// Keeps a cache directory (the compile cache with its `units/`, or a unit
/// cache) under a size limit: after a compile adds to it, the least recently
/// used entries go until it holds at most 90% of the limit. Entries are
/// "used" when written or hit (their modification time is touched), so what a
/// build reuses stays; none used in the last minute goes, so a concurrent
/// compile does not lose the object it is about to load. Leftovers of
/// interrupted compiles (`*.partial-*` older than an hour) go too. Only files
/// named like entries (a SHA-256 in hex, `.so` or `.o`) are counted or
/// deleted: a cache pointed at a directory of other files leaves them alone.
/// A deleted object still loaded elsewhere stays valid for its users (the
/// file lives on until unmapped).
///
/// The limit is `$WASMAOT_CACHE_LIMIT_MB` mebibytes (0: no limit), else
/// ``defaultLimit``.
enum CacheDirectory {
    /// 2 GiB.
    static let defaultLimit: Int64 = 2 << 30

    /// The limit in bytes, nil for none.
    static var limit: Int64? {
        guard let text = ProcessInfo.processInfo.environment["WASMAOT_CACHE_LIMIT_MB"], !text.isEmpty else { return defaultLimit }
        guard let mib = Int64(text), mib >= 0 else { return defaultLimit }
        return mib == 0 || mib > Int64.max >> 20 ? nil : mib << 20
    }

    /// Puts a file at `path` atomically: `write` makes it at a partial path beside
    /// it, which is then renamed over `path`, so readers see the old file or the
    /// whole new one. The partial file is removed if anything fails.
    static func place(at path: String, _ write: (String) throws(CompileError) -> Void) throws(CompileError) {
        let partial = path + ".partial-\(getpid())-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: partial) }
        try write(partial)
        guard rename(partial, path) == 0 else {
            throw .io("cannot move '\(partial)' into the cache at '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    /// Marks `path` as just used.
    static func touch(_ path: String) {
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path)
    }

    /// Deletes least recently used entries of `directory` (and of its
    /// subdirectories) until their total is at most 90% of `limit`. Returns the
    /// paths deleted. Errors (an entry another process deleted first) are ignored.
    @discardableResult
    static func enforce(directory: String, limit: Int64? = CacheDirectory.limit, now: Date = Date()) -> [String] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: directory) else { return [] }
        var entries: [(path: String, size: Int64, used: Date)] = []
        var removed: [String] = []
        var total: Int64 = 0
        while let relative = walker.nextObject() as? String {
            let path = (directory as NSString).appendingPathComponent(relative)
            guard let kind = entryKind((relative as NSString).lastPathComponent),
                let attributes = try? fm.attributesOfItem(atPath: path), attributes[.type] as? FileAttributeType == .typeRegular
            else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            let used = attributes[.modificationDate] as? Date ?? .distantPast
            if kind == .partial {
                if now.timeIntervalSince(used) > 3600, (try? fm.removeItem(atPath: path)) != nil { removed.append(path) }
                continue
            }
            total += size
            if now.timeIntervalSince(used) > 60 { entries.append((path, size, used)) }
        }
        guard let limit, total > limit else { return removed }
        let target = limit / 10 * 9
        for entry in entries.sorted(by: { $0.used < $1.used }) where total > target {
            if (try? fm.removeItem(atPath: entry.path)) != nil { removed.append(entry.path) }
            total -= entry.size
        }
        return removed
    }

    private enum EntryKind { case entry, partial }

    /// `<64 hex>.so` or `.o` is an entry; the same followed by `.partial-…` is one being written.
    private static func entryKind(_ name: String) -> EntryKind? {
        let bytes = Array(name.utf8)
        guard bytes.count > 64, bytes[..<64].allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        let rest = String(decoding: bytes[64...], as: UTF8.self)
        for suffix in [".so", ".o"] {
            if rest == suffix { return .entry }
            if rest.hasPrefix(suffix + ".partial-") { return .partial }
        }
        return nil
    }
}

import Foundation

/// Keeps a cache directory (the compile cache with its `units/`, or a unit
/// cache) under a size limit: after a compile adds to it, the least recently
/// used entries go until it holds at most 90% of the limit. Entries are
/// "used" when written or hit (their modification time is touched), so what a
/// build reuses stays. Leftovers of interrupted compiles (`*.partial-*` older
/// than an hour) go too. A deleted object still loaded elsewhere stays valid
/// for its users (the file lives on until unmapped).
///
/// The limit is `$WASMAOT_CACHE_LIMIT_MB` mebibytes (0: no limit), else
/// ``defaultLimit``.
enum CacheLimit {
    /// 2 GiB.
    static let defaultLimit: Int64 = 2 << 30

    /// The limit in bytes, nil for none.
    static var limit: Int64? {
        guard let text = ProcessInfo.processInfo.environment["WASMAOT_CACHE_LIMIT_MB"], !text.isEmpty else { return defaultLimit }
        guard let mib = Int64(text), mib >= 0 else { return defaultLimit }
        return mib == 0 ? nil : mib << 20
    }

    /// Marks `path` as just used.
    static func touch(_ path: String) {
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path)
    }

    /// Deletes least recently used entries of `directory` (and of its
    /// subdirectories), never `keeping`, until their total is at most 90% of
    /// `limit`. Returns the paths deleted. Errors (an entry another process
    /// deleted first) are ignored.
    @discardableResult
    static func enforce(directory: String, keeping: String? = nil, limit: Int64? = CacheLimit.limit, now: Date = Date()) -> [String] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: directory) else { return [] }
        var entries: [(path: String, size: Int64, used: Date)] = []
        var removed: [String] = []
        var total: Int64 = 0
        while let relative = walker.nextObject() as? String {
            let path = (directory as NSString).appendingPathComponent(relative)
            guard let attributes = try? fm.attributesOfItem(atPath: path), attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            let used = attributes[.modificationDate] as? Date ?? .distantPast
            if relative.contains(".partial-") {
                if now.timeIntervalSince(used) > 3600, (try? fm.removeItem(atPath: path)) != nil { removed.append(path) }
                continue
            }
            total += size
            if path != keeping { entries.append((path, size, used)) }
        }
        guard let limit, total > limit else { return removed }
        let target = limit / 10 * 9
        for entry in entries.sorted(by: { $0.used < $1.used }) where total > target {
            if (try? fm.removeItem(atPath: entry.path)) != nil { removed.append(entry.path) }
            total -= entry.size
        }
        return removed
    }
}

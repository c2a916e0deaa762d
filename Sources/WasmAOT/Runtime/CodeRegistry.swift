import Synchronization
import WasmAOTRuntime

/// Maps native return addresses to wasm function names for trap backtraces, by
/// the address ranges of the generated functions in each object's symbol table.
/// A stripped object yields no names (a trap still names the function of its site).
final class CodeRegistry: Sendable {
    static let shared = CodeRegistry()

    private struct Entry {
        var base: UInt  // dli_fbase of the shared object
        var ranges: [(start: UInt64, end: UInt64, index: Int)]  // relative to base, sorted by start
        var names: [String]  // by function index
    }
    private let entries = Mutex<[Entry]>([])

    /// Registers a loaded object: `base` its load address, `functions` the address
    /// ranges (relative to `base`) of its wasm functions, from its symbol table.
    func register(base: UInt, functions: [(start: UInt64, end: UInt64, index: Int)], names: [String]) {
        guard base != 0, !functions.isEmpty else { return }
        let entry = Entry(base: base, ranges: functions.sorted { $0.start < $1.start }, names: names)
        entries.withLock { $0.append(entry) }
    }

    /// A function's name for backtraces: its name-section or export name, else `func[N]`.
    static func displayName(_ index: Int, _ names: [String]) -> String {
        if index < names.count, !names[index].isEmpty { return names[index] }
        return "func[\(index)]"
    }

    /// Names of the wasm functions among the given return addresses.
    func symbolicate(_ frames: [UInt]) -> [String] {
        var out: [String] = []
        for pc in frames {
            // A return address points after the call; the faulting pc (frame 0 of a fault) is exact.
            let lookup = pc  // the runtime records addresses inside the call (return address - 1) or the faulting pc
            let base = wasmaot_object_base(lookup)
            guard base != 0 else { continue }
            let name: String? = entries.withLock { list in
                guard let entry = list.first(where: { $0.base == base }) else { return nil }
                let offset = UInt64(lookup - base)
                var lo = 0, hi = entry.ranges.count - 1, found = -1
                while lo <= hi {
                    let mid = (lo + hi) / 2
                    if entry.ranges[mid].start <= offset { found = mid; lo = mid + 1 } else { hi = mid - 1 }
                }
                guard found >= 0, offset < entry.ranges[found].end else { return nil }
                return CodeRegistry.displayName(entry.ranges[found].index, entry.names)
            }
            if let name { out.append(name) }
        }
        return out
    }
}

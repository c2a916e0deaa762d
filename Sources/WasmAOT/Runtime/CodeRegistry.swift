import Synchronization
import WasmAOTRuntime

/// Maps native return addresses to wasm function names for trap backtraces.
final class CodeRegistry: Sendable {
    static let shared = CodeRegistry()

    private struct Entry {
        var base: UInt  // dli_fbase of the shared object
        var starts: [(address: UInt, index: Int)]  // sorted by address
        var names: [String]  // by function index
        var importCount: Int
    }
    private let entries = Mutex<[Entry]>([])

    func register(functions: [UnsafeRawPointer], importCount: Int, names: [String]) {
        guard let first = functions.first else { return }
        let base = wasmaot_object_base(UInt(bitPattern: first))
        guard base != 0 else { return }
        let starts = functions.enumerated().map { (UInt(bitPattern: $0.element), importCount + $0.offset) }.sorted { $0.0 < $1.0 }
        let entry = Entry(base: base, starts: starts, names: names, importCount: importCount)
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
                var lo = 0, hi = entry.starts.count - 1, found = -1
                while lo <= hi {
                    let mid = (lo + hi) / 2
                    if entry.starts[mid].address <= lookup { found = mid; lo = mid + 1 } else { hi = mid - 1 }
                }
                guard found >= 0 else { return nil }
                return CodeRegistry.displayName(entry.starts[found].index, entry.names)
            }
            if let name { out.append(name) }
        }
        return out
    }
}

import WasmParser
import WasmTypes

/// An instruction the lowering cannot translate (validation should have rejected it first).
public struct LoweringError: Error, CustomStringConvertible, Sendable {
    public var function: Int
    public var offset: Int
    public var message: String
    public var description: String {
        "cannot lower function \(function) at offset 0x\(String(offset, radix: 16)): \(message)"
    }
}

/// Lowers one validated function body to a C function.
///
/// The wasm operand stack becomes C locals named by depth and type (`i3` is
/// the i32 at depth 3, `d0` the f64 at depth 0), so every instruction is one
/// assignment between such locals and clang's SSA construction turns them into
/// registers. Constants and `local.get` are not copied into a slot: they stay
/// on the stack as operands (`i0 = l2 + 8u;`) until something needs them in
/// their slot — a block boundary, or a write to the local they read. Blocks and
/// loops become labels and `goto`s (never C loops, so no forward-progress
/// assumption applies); branches first move the carried values to the
/// target's slots. Code after `unreachable`, `br`, `br_table` and `return` is
/// not emitted.
struct FunctionLowering {
    enum FrameKind { case function, block, loop, `if`, tryTable, legacyTry }

    struct Frame {
        var kind: FrameKind
        var label: Int
        var params: [ValueType]
        var results: [ValueType]
        /// Stack height below the frame's parameters.
        var base: Int
        var unreachable = false
        var labelUsed = false
        var hasElse = false
        /// A legacy `try` past its first `catch`: then its handler is unlinked, and its
        /// exception (`xN`) is the one being handled.
        var inCatch = false
        /// A legacy `try`'s catch clauses so far: the tag (nil for `catch_all`) of each.
        var catches: [UInt32?] = []
        /// Line holding a loop's label, removed if no branch uses it.
        var labelLine: Int?
        var branchArity: [ValueType] { kind == .loop ? params : results }
    }

    let module: ModuleLowering
    let functionIndex: Int
    let type: FunctionType
    let body: WasmModule.Body

    private var lines: [String] = []
    /// The last line, when it is an assignment (see `assign`).
    private var lastAssignment: (target: String, expression: String)?
    private var stack: [ValueType] = []
    /// Per stack entry: the operand itself (a constant or a local) when it is not
    /// in its slot yet.
    private var deferred: [String?] = []
    /// Stack depths of deferred `local.get`s, per local.
    private var deferredReads: [UInt32: [Int]] = [:]
    private var frames: [Frame] = []
    /// Slot names made so far, by C type family (see `slotFamily`) and depth.
    private var slotNames: [[String?]] = Array(repeating: [], count: 6)
    /// Slots to declare, in order of first use.
    private var slotOrder: [(name: String, type: ValueType)] = []
    private var nextLabel = 0
    private var nextTemp = 0
    private var deadNesting = 0
    /// Whether the body catches exceptions: its locals and slots are then volatile, since
    /// a throw returns to the handler's `__builtin_setjmp` with their latest values.
    private let catchesExceptions: Bool
    /// The handlers (one per try block) the body declares.
    private var handlers: [String] = []
    /// The exception variables (one per legacy try) the body declares.
    private var exceptionVariables: [String] = []
    /// Memories whose base address the body reads.
    private var usedMemories: Set<Int> = []
    /// The call of a load or store helper up to its value arguments, for an access of
    /// `width` bytes at `address` in memory `memory`: the guard-page form, the checked one
    /// (which traps naming this function), or for a 64-bit memory the guard-page form on an
    /// address checked by `wa_address64`.
    private mutating func access(
        _ helper: String, memory: UInt32, address: String, offset: UInt64, width: Int
    ) throws(LoweringError) -> String {
        let m = Int(memory)
        usedMemories.insert(m)
        let base = CNames.memoryBase(m), size = CNames.memorySize(m)
        if try module.isMemory64(memory, at: self) {
            return "\(helper)(\(base), wa_address64(ctx, WA_FN, \(size), \(address), \(offset)u, \(width)u), \(offset)u"
        }
        if module.checksBounds { return "\(helper)_checked(ctx, WA_FN, \(size), \(base), \(address), \(offset)u" }
        return "\(helper)(\(base), \(address), \(offset)u"
    }
    /// Checked memories' sizes are read again where they may have changed.
    private mutating func reloadMemorySize() {
        for m in module.checkedMemories { assign(CNames.memorySize(m), Self.memorySize(m)) }
    }
    private static func memorySize(_ m: Int) -> String { "ctx->memories[\(m)]->size" }
    private var makesCalls = false
    /// Defined functions called directly, and the module types whose function
    /// pointer type (`wa_fn_tN`) the body names: its unit declares just these.
    private(set) var directCallees: Set<Int> = []
    private(set) var pointerTypes: Set<Int> = []
    private var growsMemory = false
    private var currentOffset = 0
    /// Depths holding a ±0 or ±1 float constant, or a freshly promoted f32:
    /// clang would fold `x - 0`, `x * 1`, `x / -1`, `demote(promote(x))` to
    /// `x` (or `-x`), which passes a signalling NaN through where wasm
    /// requires a quiet one. Such operands go through an optimisation barrier.
    private var nanFoldingHazards: Set<Int> = []
    /// Float operations whose operands may need the NaN-folding barrier.
    private static let floatArithmetic: Set<Instruction.Binary> = [.f32Add, .f32Sub, .f32Mul, .f32Div, .f64Add, .f64Sub, .f64Mul, .f64Div]

    init(module: ModuleLowering, functionIndex: Int, type: FunctionType, body: WasmModule.Body) {
        self.module = module
        self.functionIndex = functionIndex
        self.type = type
        self.body = body
        catchesExceptions = body.ops.contains {
            if case .tryTable = $0.instruction { return true }
            if case .try = $0.legacy { return true }
            return false
        }
    }

    // MARK: Output

    /// The complete C definition of the function.
    mutating func lower() throws(LoweringError) -> String {
        frames.append(Frame(kind: .function, label: allocateLabel(), params: [], results: type.results, base: 0))
        for op in body.ops {
            currentOffset = op.offset
            if let legacy = op.legacy {
                try lowerLegacy(legacy)
            } else {
                try lowerInstruction(op.instruction)
            }
        }
        // A function making tail calls has its body in its tail entry, which takes the
        // parameters from the instance's tail argument cells (wasmaot_abi.h).
        let isTailEntry = module.tailCallers.contains(functionIndex)
        var out: [String] = []
        out.append(
            (isTailEntry ? module.tailPrototype(functionIndex) : module.prototype(functionIndex, copyingParameters: catchesExceptions))
                + " {")
        out.append("  enum { WA_FN = \(functionIndex) };  /* this function's index, for trap sites */")
        if isTailEntry && !catchesExceptions {
            for (i, t) in type.parameters.enumerated() {
                out.append("  \(Self.declarator(t, CNames.local(UInt32(i)))) = \(Self.tailArgument(i, t));")
            }
        }
        // Locals, then stack slots, one declaration per C type. A wasm local may be
        // unread, and a slot only written (or not at all) once operands are folded
        // into expressions: WA_SLOT marks them possibly unused.
        var slotsByType: [String: [String]] = [:]
        var typeOrder: [String] = []
        let locals = body.locals.enumerated().map { (i, t) in (CNames.local(UInt32(type.parameters.count + i)), t) }
        // A function with handlers copies its parameters into volatile locals (see `prototype`).
        let parameters = catchesExceptions ? type.parameters.enumerated().map { (CNames.local(UInt32($0)), $1) } : []
        let volatile = catchesExceptions ? "volatile " : ""
        for (name, t) in parameters + locals + slotOrder {
            var cType = CNames.type(t)
            var declarator = name
            if cType.hasSuffix(" *") {  // the pointer belongs to each declarator
                cType.removeLast(2)
                declarator = "*" + volatile + name
            } else {
                cType = volatile + cType
            }
            if slotsByType[cType] == nil { typeOrder.append(cType) }
            slotsByType[cType, default: []].append("\(declarator) = \(CNames.zero(t))")
        }
        for cType in typeOrder {
            out.append("  WA_SLOT \(cType) \(slotsByType[cType]!.joined(separator: ", "));")
        }
        if catchesExceptions {
            // The volatile parameter locals take the ABI parameters, or a tail entry's cells.
            for (i, t) in type.parameters.enumerated() {
                let value = isTailEntry ? Self.tailArgument(i, t) : CNames.fromABI(t, CNames.abiParameter(i))
                out.append("  \(CNames.local(UInt32(i))) = \(value);")
            }
            for handler in handlers { out.append("  wasmaot_handler \(handler);") }
            for exception in exceptionVariables { out.append("  WA_SLOT wasmaot_exception *volatile \(exception) = NULL;") }
        } else if !isTailEntry {
            // v128 parameters arrive in the two-word ABI form (`aN`, see ModuleLowering.prototype).
            for (i, t) in type.parameters.enumerated() where t == .v128 {
                out.append("  wa_v128 \(CNames.local(UInt32(i))) = \(CNames.fromABI(t, CNames.abiParameter(i)));")
            }
        }
        for m in usedMemories.sorted() {
            out.append("  uint8_t *const \(CNames.memoryBase(m)) = \(m == 0 ? "ctx->memory0" : "ctx->memories[\(m)]->base");")
        }
        // (set after calls even where no access reads it: hence WA_SLOT)
        if !usedMemories.isEmpty || makesCalls || growsMemory || catchesExceptions {
            for m in module.checkedMemories {
                out.append("  WA_SLOT \(volatile)uint64_t \(CNames.memorySize(m)) = \(Self.memorySize(m));")
            }
        }
        out.append(
            "  " + (["ctx"] + type.parameters.indices.map { CNames.local(UInt32($0)) }).map { "(void)\($0);" }.joined(separator: " "))
        if module.interruptible { out.append("  WA_POLL();") }  // call trees without loops stop too
        for line in lines where !line.isEmpty { out.append(line) }
        out.append("}")
        if isTailEntry { out.append(contentsOf: ordinaryEntry()) }
        return out.joined(separator: "\n")
    }

    /// A tail entry's parameter `i` of type `t`, read from the instance's tail argument cells.
    private static func tailArgument(_ i: Int, _ t: ValueType) -> String {
        let cell = "ctx->tail_args[\(i)]"
        return t == .v128 ? "wa_v128_get_cell(&\(cell))" : "\(cell).\(CNames.cellField(t))"
    }

    /// `T name` in C, the pointer star with the name: `uint32_t l0`, `void *r2`.
    private static func declarator(_ t: ValueType, _ name: String) -> String {
        let cType = CNames.type(t)
        return cType.hasSuffix(" *") ? "\(cType)\(name)" : "\(cType) \(name)"
    }

    /// The ordinary entry of a function with a tail entry: the parameters into the
    /// instance's tail argument cells, then the body.
    private func ordinaryEntry() -> [String] {
        var out = [module.prototype(functionIndex) + " {"]
        for (i, t) in type.parameters.enumerated() {
            let cell = "ctx->tail_args[\(i)]"
            if t == .v128 {
                out.append("  wa_v128_set_cell(&\(cell), \(CNames.fromABI(t, CNames.abiParameter(i))));")
            } else {
                out.append("  \(cell).\(CNames.cellField(t)) = \(CNames.local(UInt32(i)));")
            }
        }
        let call = "\(CNames.tailEntry(module.symbols[functionIndex]))(ctx)"
        out.append(type.results.isEmpty ? "  \(call);" : "  return \(call);")
        out.append("}")
        return out
    }

    private mutating func emit(_ line: String) {
        lines.append("  " + line)
        lastAssignment = nil
    }

    /// Emits `target = expression;`, remembered in parts until the next line.
    private mutating func assign(_ target: String, _ expression: String) {
        emit("\(target) = \(expression);")
        lastAssignment = (target, expression)
    }

    private mutating func allocateLabel() -> Int {
        defer { nextLabel += 1 }
        return nextLabel
    }

    private mutating func temp() -> String {
        defer { nextTemp += 1 }
        return CNames.temporary(nextTemp)
    }

    private func fail(_ message: String) -> LoweringError {
        LoweringError(function: functionIndex, offset: currentOffset, message: message)
    }

    // MARK: Operand stack

    /// The C local holding the value of type `t` at stack depth `depth`.
    private mutating func slot(_ depth: Int, _ t: ValueType) -> String {
        let family = Self.slotFamily(t)
        if depth < slotNames[family].count, let name = slotNames[family][depth] { return name }
        let name = CNames.slot(t, depth: depth)
        while slotNames[family].count <= depth { slotNames[family].append(nil) }
        slotNames[family][depth] = name
        slotOrder.append((name, t))
        return name
    }

    /// Types sharing a slot name prefix (all references are `void *`).
    private static func slotFamily(_ t: ValueType) -> Int {
        switch t {
        case .i32: return 0
        case .i64: return 1
        case .f32: return 2
        case .f64: return 3
        case .v128: return 4
        case .ref: return 5
        }
    }

    private mutating func push(_ t: ValueType) -> String {
        nanFoldingHazards.remove(stack.count)
        stack.append(t)
        deferred.append(nil)
        return slot(stack.count - 1, t)
    }

    /// Pushes an operand that stays as it is until it must be in its slot.
    private mutating func pushDeferred(_ t: ValueType, _ operand: String, local: UInt32? = nil) {
        nanFoldingHazards.remove(stack.count)
        if let local { deferredReads[local, default: []].append(stack.count) }
        stack.append(t)
        deferred.append(operand)
    }

    private mutating func pop() throws(LoweringError) -> String {
        guard let t = stack.popLast() else { throw fail("operand stack underflow") }
        let depth = stack.count
        return deferred.removeLast() ?? slot(depth, t)
    }

    /// The operand at `depth`: its slot, or the deferred constant or local.
    private mutating func value(_ depth: Int) -> String {
        deferred[depth] ?? slot(depth, stack[depth])
    }

    /// Stores the deferred operand at `depth` into its slot.
    private mutating func materialize(_ depth: Int) {
        guard let operand = deferred[depth] else { return }
        assign(slot(depth, stack[depth]), operand)
        deferred[depth] = nil
    }

    /// Every operand into its slot: before control flow joins or splits.
    private mutating func materializeAll() {
        for depth in deferred.indices { materialize(depth) }
        deferredReads.removeAll(keepingCapacity: true)
    }

    /// Whether a stack entry still reads `local` (recorded depths may be stale).
    private func hasDeferredReads(of local: UInt32) -> Bool {
        guard let depths = deferredReads[local] else { return false }
        return depths.contains { $0 < stack.count && deferred[$0] == CNames.local(local) }
    }

    /// Before `local` changes: the stack entries still reading it take its old value.
    private mutating func materializeReads(of local: UInt32) {
        guard let depths = deferredReads.removeValue(forKey: local) else { return }
        for depth in depths where depth < stack.count && deferred[depth] == CNames.local(local) { materialize(depth) }
    }

    /// `iK = e; lN = iK;` becomes `lN = e;`: when the last line computed `slot`
    /// and no stack entry still reads the local's old value.
    private mutating func retargetLastAssignment(from slot: String, to local: UInt32) -> Bool {
        guard !hasDeferredReads(of: local), let last = lastAssignment, last.target == slot else { return false }
        deferredReads[local] = nil
        lines.removeLast()
        assign(CNames.local(local), last.expression)
        return true
    }

    /// Drops the stack above `height` (dead code, or a block's end).
    private mutating func truncateStack(to height: Int) {
        let h = min(height, stack.count)
        stack.removeSubrange(h...)
        deferred.removeSubrange(h...)
    }

    private mutating func pop(_ n: Int) throws(LoweringError) -> [String] {
        var values: [String] = []
        for _ in 0..<n { values.append(try pop()) }
        return values.reversed()
    }

    private func localType(_ index: UInt32) throws(LoweringError) -> ValueType {
        let i = Int(index)
        if i < type.parameters.count { return type.parameters[i] }
        let j = i - type.parameters.count
        guard j < body.locals.count else { throw fail("unknown local \(index)") }
        return body.locals[j]
    }

    // MARK: Control flow

    private func blockSignature(_ blockType: BlockType) throws(LoweringError) -> (params: [ValueType], results: [ValueType]) {
        switch blockType {
        case .empty: return ([], [])
        case .type(let t): return ([], [t])
        case .funcType(let index):
            guard Int(index) < module.wasm.types.count else { throw fail("unknown type \(index)") }
            let t = module.wasm.types[Int(index)]
            return (t.parameters, t.results)
        }
    }

    private mutating func enterFrame(_ kind: FrameKind, _ blockType: BlockType) throws(LoweringError) -> Int {
        let (params, results) = try blockSignature(blockType)
        guard stack.count >= params.count else { throw fail("operand stack underflow") }
        let frame = Frame(
            kind: kind, label: allocateLabel(), params: params, results: results,
            base: stack.count - params.count)
        frames.append(frame)
        return frames.count - 1
    }

    /// Moves the values a branch carries into the target's slots and jumps (or returns).
    private mutating func branch(toFrame index: Int) throws(LoweringError) {
        let target = frames[index]
        leaveHandlers(above: index)
        if target.kind == .function {
            try emitReturn()
            return
        }
        let arity = target.branchArity
        let source = stack.count - arity.count
        guard source >= 0 else { throw fail("operand stack underflow at branch") }
        for (i, t) in arity.enumerated() where source + i != target.base + i || deferred[source + i] != nil {
            assign(slot(target.base + i, t), value(source + i))
        }
        emit("goto \(CNames.branchTarget(target.label));")
        frames[index].labelUsed = true
    }

    /// Before a branch out of try blocks: unlinks their handlers (the outermost one
    /// crossed, and with it all inside it) and frees the exceptions of the legacy catch
    /// clauses it leaves (unless `delegating`: then the exception is on its way, and the
    /// target's own handler stays linked). A `try_table`'s own label is at its end, where its handler is
    /// unlinked (see `lowerEnd`); a legacy `try`'s label is left like the blocks inside it.
    private mutating func leaveHandlers(above index: Int, delegating: Bool = false) {
        let first = frames[index].kind == .legacyTry && !delegating ? index : index + 1
        // Catch clauses are left innermost first; one unlink covers all the handlers.
        if !delegating {
            for frame in frames[first...].reversed() where frame.kind == .legacyTry && frame.inCatch {
                emit("ctx->rt->catch_leave(\(CNames.caughtException(frame.label)));")
            }
        }
        if let outermost = frames[first...].first(where: { ($0.kind == .tryTable || $0.kind == .legacyTry) && !$0.inCatch }) {
            emit("ctx->rt->try_leave(&\(CNames.handler(outermost.label)));")
        }
    }

    private mutating func emitReturn() throws(LoweringError) {
        let results = type.results
        let source = stack.count - results.count
        guard source >= 0 else { throw fail("operand stack underflow at return") }
        switch results.count {
        case 0: emit("return;")
        case 1: emit("return \(CNames.toABI(results[0], value(source)));")
        default:
            var values: [String] = []
            for (i, t) in results.enumerated() { values.append(CNames.toABI(t, value(source + i))) }
            emit("return (\(module.resultType(results))){\(values.joined(separator: ", "))};")
        }
    }

    private func frameIndex(depth: UInt32) throws(LoweringError) -> Int {
        let index = frames.count - 1 - Int(depth)
        guard index >= 0 else { throw fail("unknown label \(depth)") }
        return index
    }

    /// After an unconditional transfer: the rest of the block is dead.
    private mutating func markUnreachable() {
        frames[frames.count - 1].unreachable = true
        truncateStack(to: frames[frames.count - 1].base)
    }

    // MARK: Instructions

    private mutating func lowerInstruction(_ instruction: Instruction) throws(LoweringError) {
        // Skip dead code, tracking nesting to find the end of the current block.
        if frames.last?.unreachable == true {
            switch instruction {
            case .block, .loop, .if, .tryTable: deadNesting += 1; return
            case .else where deadNesting == 0: try lowerElse(); return
            case .end where deadNesting == 0: try lowerEnd(); return
            case .end: deadNesting -= 1; return
            default: return
            }
        }
        switch instruction {
        case .unreachable:
            emit("wa_trap(ctx, WA_FN, WASMAOT_TRAP_UNREACHABLE);")
            markUnreachable()
        case .nop:
            break
        case .block(let blockType):
            materializeAll()
            _ = try enterFrame(.block, blockType)
        case .loop(let blockType):
            materializeAll()
            let index = try enterFrame(.loop, blockType)
            frames[index].labelLine = lines.count
            // Interruptible code polls on every pass (on the label's line: both go if nothing branches back).
            emit("\(CNames.branchTarget(frames[index].label)):;" + (module.interruptible ? " WA_POLL();" : ""))
        case .if(let blockType):
            let condition = try pop()
            materializeAll()
            let index = try enterFrame(.if, blockType)
            emit("if (!\(condition)) goto \(CNames.elseTarget(frames[index].label));")
        case .else:
            try lowerElse()
        case .end:
            try lowerEnd()
        case .br(let depth):
            try branch(toFrame: try frameIndex(depth: depth))
            markUnreachable()
        case .brIf(let depth):
            let condition = try pop()
            let index = try frameIndex(depth: depth)
            emit("if (\(condition)) {")
            try branch(toFrame: index)
            emit("}")
        case .brTable(let table):
            try lowerBrTable(table)
        case .return:
            leaveHandlers(above: 0)
            try emitReturn()
            markUnreachable()
        case .tryTable(let blockType, let tryCatch):
            try lowerTryTable(blockType, tryCatch.catches)
        case .throw(let tag):
            try lowerThrow(tag)
        case .throwRef:
            let exception = try pop()
            emit("wa_throw_ref(ctx, WA_FN, \(exception));")
            markUnreachable()
        case .call(let function):
            try lowerCall(function)
        case .callIndirect(let typeIndex, let tableIndex):
            try lowerCallIndirect(typeIndex: typeIndex, table: tableIndex)
        case .returnCall(let function):
            try lowerReturnCall(function)
            markUnreachable()
        case .returnCallIndirect(let typeIndex, let tableIndex):
            try lowerReturnCallIndirect(typeIndex: typeIndex, table: tableIndex)
            markUnreachable()
        case .drop:
            _ = try pop()
        case .select:
            try lowerSelect()
        case .typedSelect:
            try lowerSelect()
        case .localGet(let index):
            pushDeferred(try localType(index), CNames.local(index), local: index)
        case .localSet(let index):
            let computed = deferred.last == nil
            let operand = try pop()
            if computed, retargetLastAssignment(from: operand, to: index) { break }
            materializeReads(of: index)
            if operand != CNames.local(index) { assign(CNames.local(index), operand) }
        case .localTee(let index):
            guard !stack.isEmpty else { throw fail("operand stack underflow") }
            let depth = stack.count - 1
            if deferred[depth] == nil, retargetLastAssignment(from: slot(depth, stack[depth]), to: index) {
                // The value now lives in the local only.
                deferred[depth] = CNames.local(index)
                deferredReads[index, default: []].append(depth)
                break
            }
            materializeReads(of: index)
            let operand = value(depth)
            if operand != CNames.local(index) { assign(CNames.local(index), operand) }
        case .globalGet(let index):
            let t = try module.globalType(index, at: self).valueType
            if t == .v128 {
                assign(push(t), "wa_v128_get_cell(ctx->globals[\(index)])")
            } else {
                assign(push(t), "ctx->globals[\(index)]->\(CNames.cellField(t))")
            }
        case .globalSet(let index):
            let t = try module.globalType(index, at: self).valueType
            if t == .v128 {
                emit("wa_v128_set_cell(ctx->globals[\(index)], \(try pop()));")
            } else if t == .ref(.exnRef) {
                let value = try pop()
                emit("ctx->rt->exception_pin(\(value));")  // a global outlives the call
                emit("ctx->globals[\(index)]->ref = \(value);")
            } else {
                emit("ctx->globals[\(index)]->\(CNames.cellField(t)) = \(try pop());")
            }
        case .load(let load, let memarg):
            guard let helper = OpTable.load(load) else { throw fail("unsupported instruction \(InstructionTypes.mnemonic(load))") }
            let address = try pop()
            let access = InstructionTypes.access(load)
            let call = try self.access(
                helper, memory: memarg.memory, address: address, offset: memarg.offset, width: 1 << access.naturalAlignment)
            assign(push(access.valueType), call + ")")
        case .store(let store, let memarg):
            guard let helper = OpTable.store(store) else { throw fail("unsupported instruction \(InstructionTypes.mnemonic(store))") }
            let value = try pop()
            let address = try pop()
            let call = try access(
                helper, memory: memarg.memory, address: address, offset: memarg.offset,
                width: 1 << InstructionTypes.access(store).naturalAlignment)
            emit("\(call), \(value));")
        case .memorySize(let memory):
            if try module.isMemory64(memory, at: self) {
                assign(push(.i64), "ctx->memories[\(memory)]->size / WASMAOT_PAGE_SIZE")
            } else {
                assign(push(.i32), "(uint32_t)(ctx->memories[\(memory)]->size / WASMAOT_PAGE_SIZE)")
            }
        case .memoryGrow(let memory):
            let delta = try pop()
            // The service answers in 64 bits; a 32-bit memory's slot keeps the low half (UINT64_MAX → -1).
            assign(push(try module.isMemory64(memory, at: self) ? .i64 : .i32), "ctx->rt->memory_grow(ctx, \(memory), \(delta))")
            growsMemory = true
            reloadMemorySize()
        case .i32Const(let value):
            pushDeferred(.i32, CNames.i32(UInt32(bitPattern: value)))
        case .i64Const(let value):
            pushDeferred(.i64, CNames.i64(UInt64(bitPattern: value)))
        case .f32Const(let value):
            pushDeferred(.f32, CNames.f32(bits: value.bitPattern))
            if [0, 1].contains(abs(Float(bitPattern: value.bitPattern))) { nanFoldingHazards.insert(stack.count - 1) }
        case .f64Const(let value):
            pushDeferred(.f64, CNames.f64(bits: value.bitPattern))
            if [0, 1].contains(abs(Double(bitPattern: value.bitPattern))) { nanFoldingHazards.insert(stack.count - 1) }
        case .refNull(let heapType):
            let t: ValueType = .ref(ReferenceType(isNullable: true, heapType: heapType))
            assign(push(t), "NULL")
        case .refIsNull:
            let ref = try pop()
            assign(push(.i32), "\(ref) == NULL")
        case .refFunc(let function):
            assign(push(.ref(.funcRef)), "(void *)&ctx->funcs[\(function)]")
        case .refAsNonNull:
            let ref = try pop()
            assign(push(.ref(.funcRef)), "wa_ref_as_non_null(ctx, WA_FN, \(ref))")
        case .brOnNull(let depth):
            // The reference stays on the stack (a slot) under the branch, which does not carry it.
            let ref = try pop()
            let index = try frameIndex(depth: depth)
            let kept = push(.ref(.funcRef))
            if ref != kept { assign(kept, ref) }
            _ = try pop()
            emit("if (\(kept) == NULL) {")
            try branch(toFrame: index)
            emit("}")
            _ = push(.ref(.funcRef))
        case .brOnNonNull(let depth):
            let ref = try pop()
            let index = try frameIndex(depth: depth)
            let carried = push(.ref(.funcRef))
            if ref != carried { assign(carried, ref) }
            emit("if (\(carried) != NULL) {")
            try branch(toFrame: index)
            emit("}")
            _ = try pop()
        case .callRef(let typeIndex):
            try lowerCallRef(typeIndex: typeIndex)
        case .returnCallRef(let typeIndex):
            try lowerReturnCallRef(typeIndex: typeIndex)
            markUnreachable()
        case .i32Eqz:
            let value = try pop()
            assign(push(.i32), "\(value) == 0")
        case .i64Eqz:
            let value = try pop()
            assign(push(.i32), "\(value) == 0")
        case .cmp(let op):
            try lowerForm(OpTable.compare(op))
        case .unary(let op):
            try lowerForm(OpTable.unary(op))
        case .binary(let op):
            try lowerForm(OpTable.binary(op), guardNaN: Self.floatArithmetic.contains(op))
        case .conversion(let op):
            try lowerForm(OpTable.conversion(op), guardNaN: op == .f32DemoteF64)
            if op == .f64PromoteF32 { nanFoldingHazards.insert(stack.count - 1) }
        case .v128Const(let value):
            pushDeferred(.v128, CNames.v128(bytes: value.bytes))
            nanFoldingHazards.insert(stack.count - 1)
        case .simd(let op):
            let form = OpTable.simd(op)
            let hazardousOperand = !stack.isEmpty && nanFoldingHazards.contains(stack.count - 1)
            try lowerForm(form, guardNaN: OpTable.simdNeedsNaNGuard(op))
            // A splatted ±0/±1 is still a foldable constant; a promoted lane may meet a demote.
            if (hazardousOperand && (op == .f32x4Splat || op == .f64x2Splat)) || op == .f64x2PromoteLowF32X4 {
                nanFoldingHazards.insert(stack.count - 1)
            }
        case .i8x16Shuffle(let mask):
            let b = try pop(), a = try pop()
            let lanes = mask.lanes.map { String($0) }.joined(separator: ", ")
            assign(push(.v128), "wa_i8x16_shuffle(\(a), \(b), \(lanes))")
        case .simdLane(let op, let lane):
            let helper = OpTable.simdHelper(op)
            let (_, scalar, extracts) = InstructionTypes.lane(op)
            if extracts {
                let vector = try pop()
                assign(push(scalar), "\(helper)(\(vector), \(lane)u)")
            } else {
                let x = try pop(), vector = try pop()
                assign(push(.v128), "\(helper)(\(vector), \(lane)u, \(x))")
            }
        case .simdMemLane(let op, let memarg, let lane):
            let helper = OpTable.simdHelper(op)
            let vector = try pop(), address = try pop()
            let width = 1 << InstructionTypes.memoryLane(op).log2Bytes
            let call =
                try access(helper, memory: memarg.memory, address: address, offset: memarg.offset, width: width)
                + ", \(vector), \(lane)u)"
            if InstructionTypes.memoryLane(op).loads {
                assign(push(.v128), call)
            } else {
                emit("\(call);")
            }
        case .memoryInit(let data, let memory):
            let (d, s, n) = try pop3()
            emit("ctx->rt->memory_init(ctx, \(memory), \(data), \(d), \(s), \(n));")
        case .dataDrop(let data):
            emit("ctx->rt->data_drop(ctx, \(data));")
        case .memoryCopy(let dstMem, let srcMem):
            let (d, s, n) = try pop3()
            emit("wa_memory_copy(ctx, WA_FN, \(dstMem), \(srcMem), \(d), \(s), \(n));")
        case .memoryFill(let memory):
            let (d, v, n) = try pop3()
            emit("wa_memory_fill(ctx, WA_FN, \(memory), \(d), \(v), \(n));")
        case .tableInit(let elem, let table):
            let (d, s, n) = try pop3()
            emit("ctx->rt->table_init(ctx, \(table), \(elem), \(d), \(s), \(n));")
        case .elemDrop(let elem):
            emit("ctx->rt->elem_drop(ctx, \(elem));")
        case .tableCopy(let dstTable, let srcTable):
            let (d, s, n) = try pop3()
            emit("ctx->rt->table_copy(ctx, \(dstTable), \(srcTable), \(d), \(s), \(n));")
        case .tableFill(let table):
            let (d, v, n) = try pop3()
            try pinIfException(v, table: table)
            emit("ctx->rt->table_fill(ctx, \(table), \(d), \(v), \(n));")
        case .tableGet(let table):
            let index = try pop()
            let t = try module.tableElementType(table, at: self)
            assign(push(t), "wa_table_get(ctx, WA_FN, \(table), \(index))")
        case .tableSet(let table):
            let value = try pop()
            let index = try pop()
            try pinIfException(value, table: table)
            emit("wa_table_set(ctx, WA_FN, \(table), \(index), \(value));")
        case .tableGrow(let table):
            let delta = try pop()
            let initial = try pop()
            try pinIfException(initial, table: table)
            assign(push(try module.tableAddressType(table, at: self)), "ctx->rt->table_grow(ctx, \(table), \(initial), \(delta))")
        case .tableSize(let table):
            assign(push(try module.tableAddressType(table, at: self)), "ctx->tables[\(table)]->size")
        default:
            throw fail("unsupported instruction \(InstructionTypes.mnemonic(instruction))")
        }
    }

    private mutating func pop3() throws(LoweringError) -> (String, String, String) {
        let values = try pop(3)
        return (values[0], values[1], values[2])
    }

    private mutating func lowerForm(_ form: OpForm, guardNaN: Bool = false) throws(LoweringError) {
        let first = stack.count - form.operands.count
        // `l0 < l0` reads as a tautology to clang (-Wtautological-compare): one
        // of two equal folded operands goes through its slot.
        if form.operands.count == 2, first >= 0, let a = deferred[first], a == deferred[first + 1] {
            materialize(first)
        }
        var operands = try pop(form.operands.count)
        if guardNaN {
            for (i, t) in form.operands.enumerated() where nanFoldingHazards.contains(first + i) {
                operands[i] = "wa_\(t == .f32 ? "f32" : t == .f64 ? "f64" : "v128")_opaque(\(operands[i]))"
            }
        }
        let expression = form.expression(operands)
        assign(push(form.result), expression)
    }

    private mutating func lowerSelect() throws(LoweringError) {
        let condition = try pop()
        guard stack.count >= 2 else { throw fail("operand stack underflow at select") }
        let t = stack[stack.count - 2]
        let second = try pop()
        let first = try pop()
        // The result lands in the first operand's slot (same depth, same type).
        assign(push(t), "\(condition) ? \(first) : \(second)")
    }

    private mutating func lowerElse() throws(LoweringError) {
        let index = frames.count - 1
        var frame = frames[index]
        guard frame.kind == .if else { throw fail("else without if") }
        if !frame.unreachable {
            materializeAll()  // the results, in their slots at the join
            emit("goto \(CNames.branchTarget(frame.label));")
            frame.labelUsed = true
        }
        emit("\(CNames.elseTarget(frame.label)):;")
        frame.hasElse = true
        frame.unreachable = false
        frames[index] = frame
        // The else branch starts from the if's parameters, still in their slots on this path.
        truncateStack(to: frame.base)
        for t in frame.params { _ = push(t) }
    }

    private mutating func lowerEnd() throws(LoweringError) {
        guard let frame = frames.popLast() else { throw fail("unbalanced end") }
        deadNesting = 0
        if frame.kind == .function {
            if !frame.unreachable { try emitReturn() }
            truncateStack(to: 0)
            return
        }
        if !frame.unreachable { materializeAll() }  // the results, in their slots at the join
        var reachable = !frame.unreachable || frame.labelUsed
        switch frame.kind {
        case .loop:
            // A loop's label sits at its start; drop it if nothing branched back.
            if !frame.labelUsed, let line = frame.labelLine { lines[line] = "" }
            reachable = !frame.unreachable
        case .if where !frame.hasElse:
            // The false path falls through with the parameters, which equal the results.
            emit("\(CNames.elseTarget(frame.label)):;")
            reachable = true
            if frame.labelUsed { emit("\(CNames.branchTarget(frame.label)):;") }
        case .tryTable:
            if frame.labelUsed { emit("\(CNames.branchTarget(frame.label)):;") }
            if reachable { emit("ctx->rt->try_leave(&\(CNames.handler(frame.label)));") }
        case .legacyTry:
            var frame = frame
            if !frame.unreachable {
                frames.append(frame)
                try branch(toFrame: frames.count - 1)
                frame.labelUsed = true
                frames.removeLast()
            }
            emitDispatch(frame)
            reachable = frame.labelUsed
            if frame.labelUsed { emit("\(CNames.branchTarget(frame.label)):;") }
        default:
            if frame.labelUsed { emit("\(CNames.branchTarget(frame.label)):;") }
        }
        truncateStack(to: frame.base)
        for t in frame.results { _ = push(t) }
        if !reachable, !frames.isEmpty {
            markUnreachable()
        }
    }

    // MARK: Exceptions

    /// The legacy encoding. `try` links a handler like `try_table`; a throw that lands there
    /// goes to the try's dispatch (emitted at its `end`), which stores the exception in `xN`
    /// and jumps to the first matching `catch` clause, whose code unpacks the payload; the
    /// exception is freed when control leaves the clause other than by throwing.
    private mutating func lowerLegacy(_ op: LegacyExceptionOp) throws(LoweringError) {
        if frames.last?.unreachable == true {
            switch op {
            case .try: deadNesting += 1; return
            case .catch, .catchAll: if deadNesting == 0 { break } else { return }
            case .delegate: if deadNesting == 0 { break } else { deadNesting -= 1; return }
            case .rethrow: return
            }
        }
        switch op {
        case .try(let blockType):
            materializeAll()
            let index = try enterFrame(.legacyTry, blockType)
            let label = frames[index].label
            handlers.append(CNames.handler(label))
            exceptionVariables.append(CNames.caughtException(label))
            emit("ctx->rt->try_enter(&\(CNames.handler(label)));")
            emit("if (__builtin_setjmp(\(CNames.handler(label)).jump)) goto \(CNames.dispatch(label));")
        case .catch, .catchAll:
            let index = frames.count - 1
            guard frames[index].kind == .legacyTry else { throw fail("\(op.mnemonic) without try") }
            deadNesting = 0
            if !frames[index].unreachable {
                materializeAll()  // the results, in their slots at the join
                try branch(toFrame: index)
            }
            var tag: UInt32?
            if case .catch(let t) = op { tag = t }
            let label = frames[index].label
            emit("\(CNames.catchClause(label, frames[index].catches.count)):;")
            emit("ctx->rt->exception_hold(\(CNames.caughtException(label)));")
            frames[index].catches.append(tag)
            frames[index].inCatch = true
            frames[index].unreachable = false
            truncateStack(to: frames[index].base)
            if let tag {
                let exception = CNames.caughtException(label)
                for (i, t) in try module.tagPayload(tag, at: self).enumerated() {
                    let cell = "\(exception)->payload[\(i)]"
                    assign(push(t), t == .v128 ? "wa_v128_get_cell(&\(cell))" : "\(cell).\(CNames.cellField(t))")
                }
            }
        case .delegate(let depth):
            guard var frame = frames.last, frame.kind == .legacyTry, !frame.inCatch else { throw fail("delegate without try") }
            deadNesting = 0
            if !frame.unreachable {
                materializeAll()
                try branch(toFrame: frames.count - 1)
                frame.labelUsed = true
            }
            frames.removeLast()
            // A throw in the try lands here and goes on to the handlers of label `depth`'s
            // block: those of the try blocks between are unlinked first.
            emit("\(CNames.dispatch(frame.label)):;")
            emit("{ wasmaot_exception *\(CNames.caughtException(frame.label))d = ctx->rt->caught();")
            leaveHandlers(above: try frameIndex(depth: depth), delegating: true)
            emit("ctx->rt->throw_exception(\(CNames.caughtException(frame.label))d); }")
            if frame.labelUsed { emit("\(CNames.branchTarget(frame.label)):;") }
            truncateStack(to: frame.base)
            for t in frame.results { _ = push(t) }
            if !frame.labelUsed { markUnreachable() }
        case .rethrow(let depth):
            let index = try frameIndex(depth: depth)
            guard frames[index].kind == .legacyTry, frames[index].inCatch else { throw fail("rethrow of a label that is not a catch") }
            emit("ctx->rt->throw_exception(\(CNames.caughtException(frames[index].label)));")
            markUnreachable()
        }
    }

    /// A legacy try's dispatch: where a throw in its body lands.
    private mutating func emitDispatch(_ frame: Frame) {
        let exception = CNames.caughtException(frame.label)
        emit("\(CNames.dispatch(frame.label)):;")
        emit("\(exception) = ctx->rt->caught();")
        reloadMemorySize()  // the code that threw may have grown the memory
        for (i, tag) in frame.catches.enumerated() {
            let clause = CNames.catchClause(frame.label, i)
            guard let tag else {
                emit("goto \(clause);")
                return
            }
            emit("if (\(exception)->tag == ctx->tags[\(tag)]) goto \(clause);")
        }
        emit("ctx->rt->throw_exception(\(exception));")
    }

    /// `try_table`: links a handler, then `__builtin_setjmp`s; a throw that lands there
    /// runs the catch clauses in order (outside the try block, whose handler the throw
    /// unlinked) and throws the exception on if none matches.
    private mutating func lowerTryTable(_ blockType: BlockType, _ catches: [CatchClause]) throws(LoweringError) {
        materializeAll()
        let (params, _) = try blockSignature(blockType)
        guard stack.count >= params.count else { throw fail("operand stack underflow") }
        let label = allocateLabel()
        let handler = CNames.handler(label)
        handlers.append(handler)
        emit("ctx->rt->try_enter(&\(handler));")
        emit("if (__builtin_setjmp(\(handler).jump)) {")
        let savedStack = stack, savedDeferred = deferred
        let base = stack.count - params.count
        let exception = temp()
        emit("wasmaot_exception *\(exception) = ctx->rt->caught();")
        reloadMemorySize()  // the code that threw may have grown the memory
        for clause in catches {
            truncateStack(to: base)
            switch clause {
            case .catch(let tag, let depth), .catchRef(let tag, let depth):
                let payload = try module.tagPayload(tag, at: self)
                emit("if (\(exception)->tag == ctx->tags[\(tag)]) {")
                for (i, t) in payload.enumerated() {
                    let cell = "\(exception)->payload[\(i)]"
                    assign(push(t), t == .v128 ? "wa_v128_get_cell(&\(cell))" : "\(cell).\(CNames.cellField(t))")
                }
                try catchBranch(exception, keepsReference: clause == .catchRef(tagIndex: tag, labelIndex: depth), depth)
                emit("}")
            case .catchAll(let depth):
                try catchBranch(exception, keepsReference: false, depth)
            case .catchAllRef(let depth):
                try catchBranch(exception, keepsReference: true, depth)
            }
        }
        truncateStack(to: base)
        // No clause matched (a catch-all always does): the exception goes on to the next handler.
        if !catches.contains(where: { if case .catchAll = $0 { true } else if case .catchAllRef = $0 { true } else { false } }) {
            emit("ctx->rt->throw_exception(\(exception));")
        }
        emit("}")
        stack = savedStack
        deferred = savedDeferred
        frames.append(Frame(kind: .tryTable, label: label, params: params, results: try blockSignature(blockType).results, base: base))
    }

    /// The end of a matching catch clause: the payload is on the stack; pushes the
    /// exnref if the clause takes one, and branches to label `depth` (counted outside the try block).
    private mutating func catchBranch(_ exception: String, keepsReference: Bool, _ depth: UInt32) throws(LoweringError) {
        if keepsReference {
            emit("ctx->rt->exception_keep(\(exception));")
            assign(push(.ref(.exnRef)), "(void *)\(exception)")
        } else {
            emit("ctx->rt->exception_done(\(exception));")
        }
        try branch(toFrame: try frameIndex(depth: depth))
    }

    private mutating func lowerThrow(_ tag: UInt32) throws(LoweringError) {
        let payload = try module.tagPayload(tag, at: self)
        let values = try pop(payload.count)
        let exception = temp()
        emit("{ wasmaot_exception *\(exception) = ctx->rt->exception_new(ctx->tags[\(tag)], \(payload.count)u);")
        for (i, (t, value)) in zip(payload, values).enumerated() {
            let cell = "\(exception)->payload[\(i)]"
            emit(t == .v128 ? "wa_v128_set_cell(&\(cell), \(value));" : "\(cell).\(CNames.cellField(t)) = \(value);")
        }
        emit("ctx->rt->throw_exception(\(exception)); }")
        markUnreachable()
    }

    /// An exnref stored in a table outlives the call: its exception is pinned.
    private mutating func pinIfException(_ value: String, table: UInt32) throws(LoweringError) {
        if try module.tableElementType(table, at: self) == .ref(.exnRef) { emit("ctx->rt->exception_pin(\(value));") }
    }

    private mutating func lowerBrTable(_ table: BrTable) throws(LoweringError) {
        let index = try pop()
        // One case group per distinct target, in first-appearance order.
        var order: [UInt32] = []
        var cases: [UInt32: [Int]] = [:]
        for (i, depth) in table.labelIndices.enumerated() {
            if cases[depth] == nil { order.append(depth) }
            cases[depth, default: []].append(i)
        }
        emit("switch (\(index)) {")
        for depth in order where depth != table.defaultIndex {
            let labels = cases[depth]!.map { "case \($0)u:" }.joined(separator: " ")
            emit("\(labels) {")
            try branch(toFrame: try frameIndex(depth: depth))
            emit("}")
        }
        emit("default: {")
        try branch(toFrame: try frameIndex(depth: table.defaultIndex))
        emit("}")
        emit("}")
        markUnreachable()
    }

    private mutating func lowerCall(_ function: UInt32) throws(LoweringError) {
        makesCalls = true
        let calleeType = try module.functionType(function, at: self)
        if Int(function) < module.importedFunctionCount {
            pointerTypes.insert(Int(module.functionTypeIndices[Int(function)]))
            let f = temp()
            emit("{ const wasmaot_funcref *\(f) = wa_import_target(ctx, \(function));")
            try emitCall("((\(module.pointerType(ofFunction: function)))\(f)->fn)", context: "\(f)->ctx", type: calleeType)
            emit("}")
        } else {
            directCallees.insert(Int(function))
            try emitCall(module.symbols[Int(function)], context: "ctx", type: calleeType)
        }
    }

    private mutating func lowerCallIndirect(typeIndex: UInt32, table: UInt32) throws(LoweringError) {
        let element = try pop()
        try lowerCall(through: "wa_indirect_target(ctx, WA_FN, \(table), \(element), \(typeIndex))", typeIndex: typeIndex)
    }

    private mutating func lowerCallRef(typeIndex: UInt32) throws(LoweringError) {
        // Validation proved the reference's type: only null is checked.
        let ref = try pop()
        try lowerCall(through: "wa_call_ref_target(ctx, WA_FN, \(ref))", typeIndex: typeIndex)
    }

    /// A call through the funcref `target` (a C expression that checks it) of module type `typeIndex`.
    private mutating func lowerCall(through target: String, typeIndex: UInt32) throws(LoweringError) {
        makesCalls = true
        guard Int(typeIndex) < module.wasm.types.count else { throw fail("unknown type \(typeIndex)") }
        pointerTypes.insert(Int(typeIndex))
        let f = temp()
        emit("{ const wasmaot_funcref *\(f) = \(target);")
        try emitCall(
            "((\(CNames.functionPointerType(Int(typeIndex))))\(f)->fn)", context: "\(f)->ctx", type: module.wasm.types[Int(typeIndex)])
        emit("}")
    }

    private mutating func emitCall(_ callee: String, context: String, type calleeType: FunctionType) throws(LoweringError) {
        let args = zip(calleeType.parameters, try pop(calleeType.parameters.count)).map { CNames.toABI($0, $1) }
        let call = "\(callee)(\(([context] + args).joined(separator: ", ")))"
        switch calleeType.results.count {
        case 0:
            emit("\(call);")
        case 1:
            let t = calleeType.results[0]
            assign(push(t), CNames.fromABI(t, call))
        default:
            let r = temp()
            emit("{ \(module.resultType(calleeType.results)) \(r) = \(call);")
            for (i, t) in calleeType.results.enumerated() {
                assign(push(t), "\(CNames.fromABI(t, "\(r).\(CNames.resultField(i))"))")
            }
            emit("}")
        }
        reloadMemorySize()  // the callee (or a host function) may have grown the memory
    }

    // MARK: Tail calls (the scheme: wasmaot_abi.h, docs/architecture.md)

    /// `return_call`: to a function of this module with a tail entry, the arguments into
    /// the tail argument cells and a `musttail` jump; to one without, an ordinary call
    /// whose result is returned (that function makes no tail calls: the chain ends there,
    /// the stack stays bounded); to an import, by its funcref.
    private mutating func lowerReturnCall(_ function: UInt32) throws(LoweringError) {
        let calleeType = try module.functionType(function, at: self)
        let args = try pop(calleeType.parameters.count)
        leaveHandlers(above: 0)  // the callee replaces this frame: this body's try blocks end here
        if Int(function) < module.importedFunctionCount {
            let typeIndex = Int(module.functionTypeIndices[Int(function)])
            let f = temp()
            emit("{ const wasmaot_funcref *\(f) = wa_import_target(ctx, \(function));")
            emitTailCall(through: f, typeIndex: typeIndex, args: args)
            emit("}")
            return
        }
        directCallees.insert(Int(function))
        let symbol = module.symbols[Int(function)]
        if module.tailCallers.contains(Int(function)) {
            storeTailArguments(args, types: calleeType.parameters, cells: "ctx->tail_args")
            emit("WA_MUSTTAIL return \(CNames.tailEntry(symbol))(ctx);")
        } else {
            emitReturn(ofCall: "\(symbol)(\(Self.argumentList("ctx", args, calleeType)))")
        }
    }

    private mutating func lowerReturnCallIndirect(typeIndex: UInt32, table: UInt32) throws(LoweringError) {
        try lowerTailCallOfFuncref(typeIndex: typeIndex) { "wa_indirect_target(ctx, WA_FN, \(table), \($0), \(typeIndex))" }
    }

    private mutating func lowerReturnCallRef(typeIndex: UInt32) throws(LoweringError) {
        // Validation proved the reference's type: only null is checked.
        try lowerTailCallOfFuncref(typeIndex: typeIndex) { "wa_call_ref_target(ctx, WA_FN, \($0))" }
    }

    /// A tail call through the funcref on top of the operand stack (under it, the arguments);
    /// `check` makes the C expression that checks the operand and yields the funcref.
    private mutating func lowerTailCallOfFuncref(typeIndex: UInt32, check: (String) -> String) throws(LoweringError) {
        guard Int(typeIndex) < module.wasm.types.count else { throw fail("unknown type \(typeIndex)") }
        let operand = try pop()
        let args = try pop(module.wasm.types[Int(typeIndex)].parameters.count)
        leaveHandlers(above: 0)  // the callee replaces this frame: this body's try blocks end here
        let f = temp()
        emit("{ const wasmaot_funcref *\(f) = \(check(operand));")
        emitTailCall(through: f, typeIndex: Int(typeIndex), args: args)
        emit("}")
    }

    /// A tail call to the funcref `f` (a C local) of module type `typeIndex`, checked already:
    /// through its tail entry when it has one, else an ordinary call (a host function, or a
    /// function without tail calls, ends the chain).
    private mutating func emitTailCall(through f: String, typeIndex: Int, args: [String]) {
        pointerTypes.insert(typeIndex)
        let calleeType = module.wasm.types[typeIndex]
        let cells = temp()
        emit("if (\(f)->tail) {")
        emit("wasmaot_value *const \(cells) = \(f)->ctx->tail_args;")
        storeTailArguments(args, types: calleeType.parameters, cells: cells)
        emit("WA_MUSTTAIL return ((\(module.tailEntryPointerType(type.results)))\(f)->tail)(\(f)->ctx);")
        emit("}")
        emitReturn(ofCall: "((\(CNames.functionPointerType(typeIndex)))\(f)->fn)(\(Self.argumentList("\(f)->ctx", args, calleeType)))")
    }

    private mutating func storeTailArguments(_ args: [String], types: [ValueType], cells: String) {
        for (i, (t, arg)) in zip(types, args).enumerated() {
            if t == .v128 {
                emit("wa_v128_set_cell(&\(cells)[\(i)], \(arg));")
            } else {
                emit("\(cells)[\(i)].\(CNames.cellField(t)) = \(arg);")
            }
        }
    }

    /// Returns what an ordinary call in tail position returns (the same result types as ours).
    private mutating func emitReturn(ofCall call: String) {
        if type.results.isEmpty {
            emit("\(call);")
            emit("return;")
        } else {
            emit("return \(call);")
        }
    }

    private static func argumentList(_ context: String, _ args: [String], _ calleeType: FunctionType) -> String {
        ([context] + zip(calleeType.parameters, args).map { CNames.toABI($0, $1) }).joined(separator: ", ")
    }

    /// Error for an index the module does not define, at the current instruction.
    func unknown(_ what: String, _ index: UInt32) -> LoweringError {
        fail("unknown \(what) \(index)")
    }
}

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
    enum FrameKind { case function, block, loop, `if` }

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
    private var usesMemory = false
    /// What follows a load or store helper's name up to its `m0` argument: the
    /// guard-page form, or the checked one (which traps naming this function).
    private var accessCallHead: String { module.checksBounds ? "_checked(ctx, WA_FN, \(CNames.memorySize(0)), " : "(" }
    /// With explicit checks, memory 0's size is read again where it may have changed.
    private mutating func reloadMemorySize() {
        if module.checksBounds { assign(CNames.memorySize(0), Self.memorySize0) }
    }
    private static let memorySize0 = "ctx->memories[0]->size"
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
    }

    // MARK: Output

    /// The complete C definition of the function.
    mutating func lower() throws(LoweringError) -> String {
        frames.append(Frame(kind: .function, label: allocateLabel(), params: [], results: type.results, base: 0))
        for op in body.ops {
            currentOffset = op.offset
            try lowerInstruction(op.instruction)
        }
        var out: [String] = []
        out.append(module.prototype(functionIndex) + " {")
        out.append("  enum { WA_FN = \(functionIndex) };  /* this function's index, for trap sites */")
        // Locals, then stack slots, one declaration per C type. A wasm local may be
        // unread, and a slot only written (or not at all) once operands are folded
        // into expressions: WA_SLOT marks them possibly unused.
        var slotsByType: [String: [String]] = [:]
        var typeOrder: [String] = []
        let locals = body.locals.enumerated().map { (i, t) in (CNames.local(UInt32(type.parameters.count + i)), t) }
        for (name, t) in locals + slotOrder {
            var cType = CNames.type(t)
            var declarator = name
            if cType.hasSuffix(" *") {  // the pointer belongs to each declarator
                cType.removeLast(2)
                declarator = "*" + name
            }
            if slotsByType[cType] == nil { typeOrder.append(cType) }
            slotsByType[cType, default: []].append("\(declarator) = \(CNames.zero(t))")
        }
        for cType in typeOrder {
            out.append("  WA_SLOT \(cType) \(slotsByType[cType]!.joined(separator: ", "));")
        }
        // v128 parameters arrive in the two-word ABI form (`aN`, see ModuleLowering.prototype).
        for (i, t) in type.parameters.enumerated() where t == .v128 {
            out.append("  wa_v128 \(CNames.local(UInt32(i))) = \(CNames.fromABI(t, CNames.abiParameter(i)));")
        }
        if usesMemory { out.append("  uint8_t *const \(CNames.memoryBase(0)) = ctx->memory0;") }
        // (set after calls even where no access reads it: hence WA_SLOT)
        if module.checksBounds && (usesMemory || makesCalls || growsMemory) {
            out.append("  WA_SLOT uint64_t \(CNames.memorySize(0)) = \(Self.memorySize0);")
        }
        out.append(
            "  " + (["ctx"] + type.parameters.indices.map { CNames.local(UInt32($0)) }).map { "(void)\($0);" }.joined(separator: " "))
        if module.interruptible { out.append("  WA_POLL();") }  // call trees without loops stop too
        for line in lines where !line.isEmpty { out.append(line) }
        out.append("}")
        return out.joined(separator: "\n")
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
            case .block, .loop, .if: deadNesting += 1; return
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
            try emitReturn()
            markUnreachable()
        case .call(let function):
            try lowerCall(function)
        case .callIndirect(let typeIndex, let tableIndex):
            try lowerCallIndirect(typeIndex: typeIndex, table: tableIndex)
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
            } else {
                emit("ctx->globals[\(index)]->\(CNames.cellField(t)) = \(try pop());")
            }
        case .load(let load, let memarg):
            guard let helper = OpTable.load(load) else { throw fail("unsupported instruction \(InstructionTypes.mnemonic(load))") }
            usesMemory = true
            let address = try pop()
            assign(
                push(InstructionTypes.access(load).valueType),
                "\(helper)\(accessCallHead)\(CNames.memoryBase(0)), \(address), \(memarg.offset)u)")
        case .store(let store, let memarg):
            guard let helper = OpTable.store(store) else { throw fail("unsupported instruction \(InstructionTypes.mnemonic(store))") }
            usesMemory = true
            let value = try pop()
            let address = try pop()
            emit("\(helper)\(accessCallHead)\(CNames.memoryBase(0)), \(address), \(memarg.offset)u, \(value));")
        case .memorySize(let memory):
            assign(push(.i32), "(uint32_t)(ctx->memories[\(memory)]->size / WASMAOT_PAGE_SIZE)")
        case .memoryGrow(let memory):
            let delta = try pop()
            assign(push(.i32), "ctx->rt->memory_grow(ctx, \(memory), \(delta))")
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
            usesMemory = true
            let vector = try pop(), address = try pop()
            let call = "\(helper)\(accessCallHead)\(CNames.memoryBase(0)), \(address), \(memarg.offset)u, \(vector), \(lane)u)"
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
            emit("ctx->rt->table_fill(ctx, \(table), \(d), \(v), \(n));")
        case .tableGet(let table):
            let index = try pop()
            let t = try module.tableElementType(table, at: self)
            assign(push(t), "wa_table_get(ctx, WA_FN, \(table), \(index))")
        case .tableSet(let table):
            let value = try pop()
            let index = try pop()
            emit("wa_table_set(ctx, WA_FN, \(table), \(index), \(value));")
        case .tableGrow(let table):
            let delta = try pop()
            let initial = try pop()
            assign(push(.i32), "ctx->rt->table_grow(ctx, \(table), \(initial), \(delta))")
        case .tableSize(let table):
            assign(push(.i32), "ctx->tables[\(table)]->size")
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
        default:
            if frame.labelUsed { emit("\(CNames.branchTarget(frame.label)):;") }
        }
        truncateStack(to: frame.base)
        for t in frame.results { _ = push(t) }
        if !reachable, !frames.isEmpty {
            markUnreachable()
        }
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
        makesCalls = true
        guard Int(typeIndex) < module.wasm.types.count else { throw fail("unknown type \(typeIndex)") }
        let calleeType = module.wasm.types[Int(typeIndex)]
        pointerTypes.insert(Int(typeIndex))
        let element = try pop()
        let f = temp()
        emit("{ const wasmaot_funcref *\(f) = wa_indirect_target(ctx, WA_FN, \(table), \(element), \(typeIndex));")
        try emitCall("((\(CNames.functionPointerType(Int(typeIndex))))\(f)->fn)", context: "\(f)->ctx", type: calleeType)
        emit("}")
    }

    private mutating func lowerCallRef(typeIndex: UInt32) throws(LoweringError) {
        makesCalls = true
        guard Int(typeIndex) < module.wasm.types.count else { throw fail("unknown type \(typeIndex)") }
        let calleeType = module.wasm.types[Int(typeIndex)]
        pointerTypes.insert(Int(typeIndex))
        let ref = try pop()
        let f = temp()
        // Validation proved the reference's type: only null is checked.
        emit("{ const wasmaot_funcref *\(f) = wa_ref_as_non_null(ctx, WA_FN, \(ref));")
        try emitCall("((\(CNames.functionPointerType(Int(typeIndex))))\(f)->fn)", context: "\(f)->ctx", type: calleeType)
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

    /// Error for an index the module does not define, at the current instruction.
    func unknown(_ what: String, _ index: UInt32) -> LoweringError {
        fail("unknown \(what) \(index)")
    }
}

import WasmParser
import WasmTypes

/// Validates one function body with the operand and control stacks of the spec's
/// validation algorithm (Appendix "Validation Algorithm"). It walks the body's
/// instructions in one loop, so nesting depth never grows the Swift stack.
struct FunctionValidator {
    /// A structured control instruction being validated (or the function itself).
    struct ControlFrame {
        enum Kind { case function, block, loop, `if`, `else`, legacyTry, legacyCatch }
        var kind: Kind
        var params: [ValueType]
        var results: [ValueType]
        /// Operand stack height when the frame was entered (its params already popped).
        var height: Int
        /// Set after an unconditional branch: the rest of the frame sees a polymorphic stack.
        var unreachable = false
        /// How many entries of `initializedHere` predate the frame: the locals set inside it
        /// count as unset again after its end.
        var initHeight = 0

        /// What a branch to this frame's label must provide.
        var labelTypes: [ValueType] { kind == .loop ? params : results }

        var name: String {
            switch kind {
            case .function: "function"
            case .block: "block"
            case .loop: "loop"
            case .if: "if"
            case .else: "else"
            case .legacyTry: "try"
            case .legacyCatch: "catch"
            }
        }
    }

    /// Which value a pop is looking for, for messages.
    enum Slot {
        /// Operand `index` (1-based, in stack order) of `count` of the current instruction.
        case operand(Int, of: Int)
        /// Value `index` (1-based) of the results of the frame being ended.
        case result(Int, of: String)
        /// Value `index` (1-based) of what a branch to label `label` carries.
        case label(Int, label: UInt32)
        /// Value `index` (1-based) returned from the function.
        case returned(Int)
        /// Parameter `index` (1-based) of a block entered.
        case param(Int, of: String)
    }

    let context: ValidationContext
    let functionIndex: Int
    let type: FunctionType
    let body: WasmModule.Body

    /// Parameters then declared locals.
    private var locals: [ValueType] = []
    /// Whether each local holds a value: false only for a non-nullable reference local not set yet.
    private var initialized: [Bool] = []
    /// The locals that became set in the open frames, innermost last.
    private var initializedHere: [Int] = []
    /// Operand stack; nil is the unknown type of a polymorphic stack.
    private var stack: [ValueType?] = []
    private var frames: [ControlFrame] = []
    /// The instruction being validated.
    private var current = 0

    init(context: ValidationContext, functionIndex: Int, type: FunctionType, body: WasmModule.Body) {
        self.context = context
        self.functionIndex = functionIndex
        self.type = type
        self.body = body
    }

    mutating func validate() throws(ValidationError) {
        for (i, local) in body.locals.enumerated() {
            do { try checkBodyType(local, "local \(type.parameters.count + i) has type \(local)") } catch {
                throw ValidationError(rule: error.rule, function: functionIndex, offset: body.offset, detail: error.detail)
            }
        }
        locals = type.parameters + body.locals
        initialized = locals.map { if case .ref(let r) = $0 { r.isNullable } else { true } }
        for i in type.parameters.indices { initialized[i] = true }
        frames = [ControlFrame(kind: .function, params: [], results: type.results, height: 0)]
        stack.reserveCapacity(16)

        let ops = body.ops
        current = 0
        while current < ops.count {
            if frames.isEmpty {
                throw error(ValidationRule.trailingInstructions, "instructions after the end of the function")
            }
            if let legacy = ops[current].legacy {
                try step(legacy)
            } else {
                try step(ops[current].instruction)
            }
            current += 1
        }
        if !frames.isEmpty {
            current = max(ops.count - 1, 0)
            throw error(
                ValidationRule.unexpectedEnd,
                "the body ends before its \(frames[frames.count - 1].name) is closed (\(frames.count) open)")
        }
    }

    // MARK: Instructions

    /// The legacy exception instructions: `try` opens a frame whose `catch` and `catch_all`
    /// start again like `else`; `delegate` ends it; `rethrow` names a catch's label.
    private mutating func step(_ legacy: LegacyExceptionOp) throws(ValidationError) {
        switch legacy {
        case .try(let blockType):
            try enter(.legacyTry, blockType)
        case .catch, .catchAll:
            guard let frame = frames.last, frame.kind == .legacyTry || frame.kind == .legacyCatch else {
                throw error(ValidationRule.typeMismatch, "\(legacy.mnemonic) does not follow a try")
            }
            _ = try popFrame()
            frames.append(ControlFrame(kind: .legacyCatch, params: frame.params, results: frame.results, height: stack.count))
            if case .catch(let tagIndex) = legacy { push(try tagType(tagIndex).parameters) }
        case .delegate(let depth):
            guard let frame = frames.last, frame.kind == .legacyTry else {
                throw error(ValidationRule.typeMismatch, "delegate does not end a try without catch clauses")
            }
            _ = try popFrame()
            _ = try label(depth)
            push(frame.results)
        case .rethrow(let depth):
            _ = try label(depth)
            guard frames[frames.count - 1 - Int(depth)].kind == .legacyCatch else {
                throw error(ValidationRule.invalidRethrowLabel, "label \(depth) is not a catch")
            }
            markUnreachable()
        }
    }

    private mutating func step(_ instruction: Instruction) throws(ValidationError) {
        if let signature = InstructionTypes.simple(instruction) {
            try apply(signature)
            return
        }
        switch instruction {
        // Control
        case .unreachable:
            markUnreachable()
        case .nop:
            break
        case .block(let blockType):
            try enter(.block, blockType)
        case .loop(let blockType):
            try enter(.loop, blockType)
        case .if(let blockType):
            try pop(.i32, .operand(1, of: 1))
            try enter(.if, blockType)
        case .else:
            guard let frame = frames.last, frame.kind == .if else {
                throw error(ValidationRule.elseWithoutIf, "else does not follow an if")
            }
            _ = try popFrame()
            frames.append(
                ControlFrame(
                    kind: .else, params: frame.params, results: frame.results, height: stack.count,
                    initHeight: initializedHere.count))
            push(frame.params)
        case .end:
            let frame = try popFrame()
            if frame.kind == .if, frame.params != frame.results {
                throw error(
                    ValidationRule.typeMismatch,
                    "an if without else must have the same parameter and result types, but has \(signature(frame))")
            }
            push(frame.results)
        case .br(let depth):
            let target = try label(depth)
            try pop(target, slot: { .label($0, label: depth) })
            markUnreachable()
        case .brIf(let depth):
            try pop(.i32, .operand(1, of: 1))
            let target = try label(depth)
            try pop(target, slot: { .label($0, label: depth) })
            push(target)
        case .brTable(let table):
            try pop(.i32, .operand(1, of: 1))
            let defaultTypes = try label(table.defaultIndex)
            let arity = defaultTypes.count
            for depth in table.labelIndices {
                let target = try label(depth)
                guard target.count == arity else {
                    throw error(
                        ValidationRule.typeMismatch,
                        "br_table targets carry different numbers of values: label \(depth) takes \(target.count), "
                            + "the default label \(table.defaultIndex) takes \(arity)"
                    )
                }
                let popped = try popCollecting(target, slot: { .label($0, label: depth) })
                push(popped)
            }
            try pop(defaultTypes, slot: { .label($0, label: table.defaultIndex) })
            markUnreachable()
        case .return:
            try pop(type.results, slot: { .returned($0) })
            markUnreachable()
        case .call(let index):
            guard let callee = context.functionType(at: index) else {
                throw error(ValidationRule.unknownFunction, "function \(index) (\(context.functionTypeIndices.count) functions)")
            }
            try apply(StackSignature(callee.parameters, callee.results))
        case .callIndirect(let typeIndex, let tableIndex):
            let (callee, address) = try indirectCallee(typeIndex, tableIndex)
            try apply(StackSignature(callee.parameters + [address], callee.results))
        case .returnCall(let index):
            guard let callee = context.functionType(at: index) else {
                throw error(ValidationRule.unknownFunction, "function \(index) (\(context.functionTypeIndices.count) functions)")
            }
            try tailCall(callee, extraOperands: [])
        case .returnCallIndirect(let typeIndex, let tableIndex):
            let (callee, address) = try indirectCallee(typeIndex, tableIndex)
            try tailCall(callee, extraOperands: [address])

        // Exceptions
        case .throw(let tagIndex):
            let tag = try tagType(tagIndex)
            try pop(tag.parameters, slot: { .operand($0, of: tag.parameters.count) })
            markUnreachable()
        case .throwRef:
            try pop(.ref(.exnRef), .operand(1, of: 1))
            markUnreachable()
        case .tryTable(let blockType, let tryCatch):
            // Catch labels are relative to the try_table's context: checked before entering it.
            for clause in tryCatch.catches {
                let carried: [ValueType]
                let depth: UInt32
                switch clause {
                case .catch(let tagIndex, let labelIndex):
                    carried = try tagType(tagIndex).parameters
                    depth = labelIndex
                case .catchRef(let tagIndex, let labelIndex):
                    carried = try tagType(tagIndex).parameters + [Self.caughtException]
                    depth = labelIndex
                case .catchAll(let labelIndex):
                    carried = []
                    depth = labelIndex
                case .catchAllRef(let labelIndex):
                    carried = [Self.caughtException]
                    depth = labelIndex
                }
                let target = try label(depth)
                guard target.count == carried.count, zip(carried, target).allSatisfy({ context.matches($0, $1) }) else {
                    throw error(
                        ValidationRule.typeMismatch,
                        "a catch clause of \(mnemonic) carries \(Self.list(carried)) to label \(depth), which takes \(Self.list(target))")
                }
            }
            try enter(.block, blockType)

        // Parametric
        case .drop:
            try pop(.operand(1, of: 1))
        case .select:
            try pop(.i32, .operand(3, of: 3))
            let second = try pop(.operand(2, of: 3))
            let first = try pop(.operand(1, of: 3))
            for operand in [first, second] {
                if let operand, !Self.isNumericOrVector(operand) {
                    throw error(ValidationRule.typeMismatch, "select without a type needs numeric operands, found \(operand)")
                }
            }
            if let first, let second, first != second {
                throw error(ValidationRule.typeMismatch, "select operands differ: \(first) and \(second)")
            }
            push(first ?? second)
        case .typedSelect(let valueType):
            try checkBodyType(valueType, "select of type \(valueType)")
            try apply(StackSignature([valueType, valueType, .i32], [valueType]))

        // Variables
        case .localGet(let index):
            let type = try local(index)
            guard initialized[Int(index)] else {
                throw error(ValidationRule.uninitializedLocal, "local \(index) of type \(type) is read before it is set")
            }
            push(type)
        case .localSet(let index):
            try pop(try local(index), .operand(1, of: 1))
            setInitialized(index)
        case .localTee(let index):
            let type = try local(index)
            try apply(StackSignature([type], [type]))
            setInitialized(index)
        case .globalGet(let index):
            push(try global(index).valueType)
        case .globalSet(let index):
            let global = try global(index)
            guard global.mutability == .variable else {
                throw error(ValidationRule.immutableGlobal, "global \(index) is immutable")
            }
            try pop(global.valueType, .operand(1, of: 1))

        // Memory
        case .load(let op, let memarg):
            try require(InstructionTypes.proposal(op), InstructionTypes.mnemonic(instruction))
            let address = try memoryAccess(memarg, InstructionTypes.access(op))
            try apply(StackSignature([address], [InstructionTypes.access(op).valueType]))
        case .store(let op, let memarg):
            try require(InstructionTypes.proposal(op), InstructionTypes.mnemonic(instruction))
            let address = try memoryAccess(memarg, InstructionTypes.access(op))
            try apply(StackSignature([address, InstructionTypes.access(op).valueType], []))
        case .simdMemLane(let op, let memarg, let lane):
            let (log2Bytes, loads) = InstructionTypes.memoryLane(op)
            let address = try memoryAccess(memarg, InstructionTypes.MemoryAccess(valueType: .v128, naturalAlignment: log2Bytes))
            try checkLane(lane, count: 16 >> log2Bytes)
            try apply(StackSignature([address, .v128], loads ? [.v128] : []))
        case .simdLane(let op, let lane):
            let (count, scalar, extracts) = InstructionTypes.lane(op)
            try checkLane(lane, count: count)
            try apply(extracts ? StackSignature([.v128], [scalar]) : StackSignature([.v128, scalar], [.v128]))
        case .i8x16Shuffle(let mask):
            for lane in mask.lanes { try checkLane(lane, count: 32) }
            try apply(.binaryV128)
        case .memorySize(let index):
            let address = addressType(try memory(index))
            push(address)
        case .memoryGrow(let index):
            let address = addressType(try memory(index))
            try apply(StackSignature([address], [address]))
        case .memoryInit(let dataIndex, let memoryIndex):
            let address = addressType(try memory(memoryIndex))
            try dataSegment(dataIndex)
            try apply(StackSignature([address, .i32, .i32], []))
        case .dataDrop(let dataIndex):
            try dataSegment(dataIndex)
        case .memoryCopy(let destination, let source):
            let destinationAddress = addressType(try memory(destination))
            let sourceAddress = addressType(try memory(source))
            let count: ValueType = destinationAddress == .i64 && sourceAddress == .i64 ? .i64 : .i32
            try apply(StackSignature([destinationAddress, sourceAddress, count], []))
        case .memoryFill(let index):
            let address = addressType(try memory(index))
            try apply(StackSignature([address, .i32, address], []))

        // Reference
        case .refNull(let heapType):
            try checkBodyHeapType(heapType, "ref.null \(heapType)")
            push(.ref(ReferenceType(isNullable: true, heapType: heapType)))
        case .refIsNull:
            let operand = try pop(.operand(1, of: 1))
            if let operand, Self.isNumericOrVector(operand) {
                throw error(ValidationRule.typeMismatch, "ref.is_null needs a reference, found \(operand)")
            }
            push(.i32)
        case .refFunc(let index):
            guard Int(index) < context.functionTypeIndices.count else {
                throw error(ValidationRule.unknownFunction, "function \(index) (\(context.functionTypeIndices.count) functions)")
            }
            guard context.declaredFunctions.contains(index) else {
                throw error(
                    ValidationRule.undeclaredFunctionReference,
                    "function \(index) is not referenced by an element segment, export or global initializer")
            }
            let typeIndex = context.functionTypeIndices[Int(index)]
            push(.ref(ReferenceType(isNullable: false, heapType: .concrete(typeIndex: typeIndex))))
        case .refAsNonNull:
            let reference = try popReference(.operand(1, of: 1))
            push(reference.map { .ref(ReferenceType(isNullable: false, heapType: $0.heapType)) })
        case .brOnNull(let depth):
            let reference = try popReference(.operand(1, of: 1))
            let target = try label(depth)
            // What stays on the stack has the label's types (as after br_if), not the operands'.
            try pop(target, slot: { .label($0, label: depth) })
            push(target)
            push(reference.map { .ref(ReferenceType(isNullable: false, heapType: $0.heapType)) })
        case .brOnNonNull(let depth):
            let target = try label(depth)
            guard case .ref(let carried)? = target.last else {
                throw error(
                    ValidationRule.typeMismatch,
                    "br_on_non_null needs a label whose last value is a reference; label \(depth) takes \(Self.list(target))")
            }
            if let reference = try popReference(.operand(1, of: 1)),
                !context.matches(ReferenceType(isNullable: false, heapType: reference.heapType), carried)
            {
                throw error(
                    ValidationRule.typeMismatch,
                    "br_on_non_null of \(ValueType.ref(reference)) to label \(depth), which takes \(ValueType.ref(carried))")
            }
            try pop(Array(target.dropLast()), slot: { .label($0, label: depth) })
            push(Array(target.dropLast()))
        case .callRef(let typeIndex):
            guard let callee = context.type(at: typeIndex) else {
                throw error(ValidationRule.unknownType, "type \(typeIndex) (\(context.types.count) types)")
            }
            let reference: ValueType = .ref(ReferenceType(isNullable: true, heapType: .concrete(typeIndex: typeIndex)))
            try apply(StackSignature(callee.parameters + [reference], callee.results))
        case .returnCallRef(let typeIndex):
            guard let callee = context.type(at: typeIndex) else {
                throw error(ValidationRule.unknownType, "type \(typeIndex) (\(context.types.count) types)")
            }
            let reference: ValueType = .ref(ReferenceType(isNullable: true, heapType: .concrete(typeIndex: typeIndex)))
            try tailCall(callee, extraOperands: [reference])

        // Table
        case .tableGet(let index):
            let table = try table(index)
            try apply(StackSignature([addressType(table.limits)], [.ref(table.elementType)]))
        case .tableSet(let index):
            let table = try table(index)
            try apply(StackSignature([addressType(table.limits), .ref(table.elementType)], []))
        case .tableSize(let index):
            let table = try table(index)
            push(addressType(table.limits))
        case .tableGrow(let index):
            let table = try table(index)
            let address = addressType(table.limits)
            try apply(StackSignature([.ref(table.elementType), address], [address]))
        case .tableFill(let index):
            let table = try table(index)
            let address = addressType(table.limits)
            try apply(StackSignature([address, .ref(table.elementType), address], []))
        case .tableCopy(let destinationIndex, let sourceIndex):
            let destination = try table(destinationIndex)
            let source = try table(sourceIndex)
            guard context.matches(source.elementType, destination.elementType) else {
                throw error(
                    ValidationRule.typeMismatch,
                    "table.copy from table \(sourceIndex) of \(source.elementType) "
                        + "to table \(destinationIndex) of \(destination.elementType)")
            }
            let (d, s) = (addressType(destination.limits), addressType(source.limits))
            try apply(StackSignature([d, s, d == .i64 && s == .i64 ? .i64 : .i32], []))
        case .tableInit(let elemIndex, let tableIndex):
            let table = try table(tableIndex)
            let elementType = try elementSegment(elemIndex)
            guard context.matches(elementType, table.elementType) else {
                throw error(
                    ValidationRule.typeMismatch,
                    "table.init of elem segment \(elemIndex) (\(elementType)) into table \(tableIndex) of \(table.elementType)")
            }
            try apply(StackSignature([addressType(table.limits), .i32, .i32], []))
        case .elemDrop(let elemIndex):
            _ = try elementSegment(elemIndex)

        default:
            // Numeric instructions and constants were handled by `InstructionTypes.simple`;
            // everything left belongs to a proposal beyond 2.0.
            let name = InstructionTypes.mnemonic(instruction)
            let feature = InstructionTypes.proposal(instruction)
            throw error(
                feature.map(ValidationRule.unsupported) ?? .unsupportedInstruction,
                "\(name) is not supported yet")
        }
    }

    // MARK: Operand stack

    private mutating func push(_ type: ValueType?) {
        stack.append(type)
    }

    private mutating func push(_ types: [ValueType]) {
        for type in types { stack.append(type) }
    }

    private mutating func push(_ types: [ValueType?]) {
        stack.append(contentsOf: types)
    }

    /// Pops any value; nil is the unknown type of a polymorphic stack.
    @discardableResult
    private mutating func pop(_ slot: Slot, expecting expected: ValueType? = nil) throws(ValidationError) -> ValueType? {
        let top = frames.count - 1
        if stack.count == frames[top].height {
            if frames[top].unreachable { return nil }
            let wanted = expected?.description ?? "a value"
            throw error(ValidationRule.typeMismatch, "expected \(wanted) but the stack is empty (\(describe(slot)))")
        }
        return stack.removeLast()
    }

    /// Pops a value of type `expected` or a subtype; returns the type found (nil if unknown).
    @discardableResult
    private mutating func pop(_ expected: ValueType, _ slot: Slot) throws(ValidationError) -> ValueType? {
        let actual = try pop(slot, expecting: expected)
        if let actual, !context.matches(actual, expected) {
            throw error(ValidationRule.typeMismatch, "expected \(expected) but found \(actual) (\(describe(slot)))")
        }
        return actual
    }

    /// Pops a reference of any type; nil when the polymorphic stack supplied it.
    private mutating func popReference(_ slot: Slot) throws(ValidationError) -> ReferenceType? {
        guard let type = try pop(slot, expecting: nil) else { return nil }
        guard case .ref(let reference) = type else {
            throw error(ValidationRule.typeMismatch, "expected a reference but found \(type) (\(describe(slot)))")
        }
        return reference
    }

    /// Pops values of `types` (the last one is on top).
    private mutating func pop(_ types: [ValueType], slot: (Int) -> Slot) throws(ValidationError) {
        for i in types.indices.reversed() {
            try pop(types[i], slot(i + 1))
        }
    }

    /// Pops values of `types` (the last one is on top); returns the types found, bottom first
    /// (nil where the polymorphic stack supplied an unknown value).
    private mutating func popCollecting(_ types: [ValueType], slot: (Int) -> Slot) throws(ValidationError) -> [ValueType?] {
        var popped = [ValueType?](repeating: nil, count: types.count)
        for i in types.indices.reversed() {
            popped[i] = try pop(types[i], slot(i + 1))
        }
        return popped
    }

    /// What `catch_ref`/`catch_all_ref` carry besides the payload: the caught exception, never null.
    private static let caughtException: ValueType = .ref(ReferenceType(isNullable: false, heapType: .abstract(.exnRef)))

    /// A tail call replaces this function's frame: the callee's results become this function's
    /// (so each must match ours), and the code after it is unreachable.
    /// `extraOperands` follow the arguments (a table index).

    private mutating func tailCall(_ callee: FunctionType, extraOperands: [ValueType]) throws(ValidationError) {
        // The callee's results become ours: each must match (be a subtype of) ours.
        guard callee.results.count == type.results.count, zip(callee.results, type.results).allSatisfy({ context.matches($0, $1) })
        else {
            throw error(
                ValidationRule.typeMismatch,
                "\(mnemonic) calls a function returning \(Self.list(callee.results)) from one returning \(Self.list(type.results))")
        }
        let operands = callee.parameters + extraOperands
        try pop(operands, slot: { .operand($0, of: operands.count) })
        markUnreachable()
    }

    /// Pops the operands of `signature` and pushes its results.
    private mutating func apply(_ signature: StackSignature) throws(ValidationError) {
        let count = signature.operands.count
        try pop(signature.operands, slot: { .operand($0, of: count) })
        push(signature.results)
    }

    private static func isNumericOrVector(_ type: ValueType) -> Bool {
        switch type {
        case .i32, .i64, .f32, .f64, .v128: true
        case .ref: false
        }
    }

    // MARK: Control stack

    private mutating func enter(_ kind: ControlFrame.Kind, _ blockType: BlockType) throws(ValidationError) {
        let (params, results) = try resolve(blockType)
        let name = kind == .loop ? "loop" : kind == .if ? "if" : "block"
        try pop(params, slot: { .param($0, of: name) })
        frames.append(
            ControlFrame(kind: kind, params: params, results: results, height: stack.count, initHeight: initializedHere.count))
        push(params)
    }

    /// Ends the innermost frame: its results must be exactly what is left on the stack.
    private mutating func popFrame() throws(ValidationError) -> ControlFrame {
        guard let frame = frames.last else {
            throw error(ValidationRule.trailingInstructions, "end without an open block")
        }
        try pop(frame.results, slot: { .result($0, of: frame.name) })
        if stack.count != frame.height {
            let extra = stack.count - frame.height
            throw error(
                ValidationRule.typeMismatch,
                "\(extra) extra value\(extra == 1 ? "" : "s") left on the stack at the end of the \(frame.name), "
                    + "which returns \(Self.list(frame.results))"
            )
        }
        for index in initializedHere[frame.initHeight...] { initialized[index] = false }
        initializedHere.removeSubrange(frame.initHeight...)
        frames.removeLast()
        return frame
    }

    private mutating func setInitialized(_ index: UInt32) {
        guard !initialized[Int(index)] else { return }
        initialized[Int(index)] = true
        initializedHere.append(Int(index))
    }

    private mutating func markUnreachable() {
        let height = frames[frames.count - 1].height
        stack.removeSubrange(height...)
        frames[frames.count - 1].unreachable = true
    }

    /// The types a branch to relative depth `depth` carries.
    private func label(_ depth: UInt32) throws(ValidationError) -> [ValueType] {
        guard Int(depth) < frames.count else {
            throw error(ValidationRule.unknownLabel, "label \(depth) (\(frames.count) enclosing labels)")
        }
        return frames[frames.count - 1 - Int(depth)].labelTypes
    }

    private func resolve(_ blockType: BlockType) throws(ValidationError) -> (params: [ValueType], results: [ValueType]) {
        switch blockType {
        case .empty:
            return ([], [])
        case .type(let valueType):
            try checkBodyType(valueType, "block type \(valueType)")
            return ([], [valueType])
        case .funcType(let index):
            guard let type = context.type(at: index) else {
                throw error(ValidationRule.unknownType, "block type \(index) (\(context.types.count) types)")
            }
            return (type.parameters, type.results)
        }
    }

    // MARK: Index spaces

    private func local(_ index: UInt32) throws(ValidationError) -> ValueType {
        guard Int(index) < locals.count else {
            throw error(ValidationRule.unknownLocal, "local \(index) (\(locals.count) locals)")
        }
        return locals[Int(index)]
    }

    private func global(_ index: UInt32) throws(ValidationError) -> GlobalType {
        guard let global = context.global(at: index) else {
            throw error(ValidationRule.unknownGlobal, "global \(index) (\(context.globals.count) globals)")
        }
        return global
    }

    private func tagType(_ index: UInt32) throws(ValidationError) -> FunctionType {
        guard let type = context.tagType(at: index) else {
            throw error(ValidationRule.unknownTag, "tag \(index) (\(context.tagTypeIndices.count) tags)")
        }
        return type
    }

    /// The callee type of `call_indirect`/`return_call_indirect` through a funcref table, and
    /// the table's index type.
    private func indirectCallee(_ typeIndex: UInt32, _ tableIndex: UInt32) throws(ValidationError) -> (FunctionType, ValueType) {
        let table = try table(tableIndex)
        guard context.matches(table.elementType, .funcRef) else {
            throw error(
                ValidationRule.typeMismatch, "\(mnemonic) needs a funcref table, table \(tableIndex) holds \(table.elementType)")
        }
        guard let callee = context.type(at: typeIndex) else {
            throw error(ValidationRule.unknownType, "type \(typeIndex) (\(context.types.count) types)")
        }
        return (callee, addressType(table.limits))
    }

    private func table(_ index: UInt32) throws(ValidationError) -> TableType {
        guard let table = context.table(at: index) else {
            throw error(ValidationRule.unknownTable, "table \(index) (\(context.tables.count) tables)")
        }
        return table
    }

    private func memory(_ index: UInt32) throws(ValidationError) -> MemoryType {
        guard let memory = context.memory(at: index) else {
            throw error(ValidationRule.unknownMemory, "memory \(index) (\(context.memories.count) memories)")
        }
        return memory
    }

    private func elementSegment(_ index: UInt32) throws(ValidationError) -> ReferenceType {
        guard let type = context.elementType(at: index) else {
            throw error(ValidationRule.unknownElem, "elem segment \(index) (\(context.elementTypes.count) segments)")
        }
        return type
    }

    private func dataSegment(_ index: UInt32) throws(ValidationError) {
        guard context.hasDataCount else {
            throw error(ValidationRule.dataCountRequired, "\(mnemonic) needs a data count section")
        }
        guard Int(index) < context.dataSegmentCount else {
            throw error(ValidationRule.unknownData, "data segment \(index) (\(context.dataSegmentCount) segments)")
        }
    }

    /// Checks a load/store's memory, alignment and offset; returns the address type.
    private func memoryAccess(_ memarg: MemArg, _ access: InstructionTypes.MemoryAccess) throws(ValidationError) -> ValueType {
        let memory = try memory(memarg.memory)
        guard memarg.align <= access.naturalAlignment else {
            throw error(
                ValidationRule.alignment,
                "alignment 2^\(memarg.align) of \(mnemonic) exceeds its natural alignment 2^\(access.naturalAlignment)")
        }
        if !memory.isMemory64, memarg.offset > UInt64(UInt32.max) {
            throw error(ValidationRule.offsetRange, "offset \(memarg.offset) of \(mnemonic) does not fit a 32-bit memory")
        }
        return addressType(memory)
    }

    private func addressType(_ limits: Limits) -> ValueType { limits.isMemory64 ? .i64 : .i32 }

    private func checkLane(_ lane: UInt8, count: UInt8) throws(ValidationError) {
        guard lane < count else {
            throw error(ValidationRule.invalidLane, "lane \(lane) of \(mnemonic) (\(count) lanes)")
        }
    }

    // MARK: Types written in the body

    /// A type of a local, block, typed select: typed function references are checked (their
    /// type index must exist); GC and exception types are unsupported.
    private func checkBodyType(_ type: ValueType, _ detail: @autoclosure () -> String) throws(ValidationError) {
        guard case .ref(let reference) = type else { return }
        try checkBodyHeapType(reference.heapType, detail())
    }

    private func checkBodyHeapType(_ heapType: HeapType, _ detail: @autoclosure () -> String) throws(ValidationError) {
        switch heapType {
        case .concrete(let index):
            guard context.type(at: index) != nil else {
                throw error(ValidationRule.unknownType, "\(detail()): type \(index) (\(context.types.count) types)")
            }
        case .abstract: try require(InstructionTypes.proposal(heapType), detail())
        }
    }

    // MARK: Errors

    private func require(_ feature: ValidatorFeature?, _ detail: @autoclosure () -> String) throws(ValidationError) {
        guard let feature, !context.supports(feature) else { return }
        throw error(ValidationRule.unsupported(feature), detail())
    }

    private var mnemonic: String {
        guard current < body.ops.count else { return "end" }
        return body.ops[current].legacy?.mnemonic ?? InstructionTypes.mnemonic(body.ops[current].instruction)
    }

    private func describe(_ slot: Slot) -> String {
        switch slot {
        case .operand(let index, let count):
            count == 1 ? "operand of \(mnemonic)" : "operand \(index) of \(mnemonic)"
        case .result(let index, let frame): "result \(index) of the \(frame)"
        case .label(let index, let label): "value \(index) of the branch to label \(label)"
        case .returned(let index): "return value \(index)"
        case .param(let index, let frame): "parameter \(index) of the \(frame)"
        }
    }

    private func signature(_ frame: ControlFrame) -> String {
        "\(Self.list(frame.params)) -> \(Self.list(frame.results))"
    }

    private static func list(_ types: [ValueType]) -> String {
        "[\(types.map(\.description).joined(separator: " "))]"
    }

    private func error(_ rule: ValidationRule, _ detail: String) -> ValidationError {
        let offset = current < body.ops.count ? body.ops[current].offset : body.offset
        return ValidationError(rule: rule, function: functionIndex, offset: offset, detail: detail)
    }
}

import WasmParser
import WasmTypes

extension WasmModule {
    /// The proposals beyond WebAssembly 2.0 the module uses, from its types, imports, memories,
    /// tables and instructions (extended constant expressions are not counted: they need nothing
    /// of the engine). `wasmaot inspect` lists them; a module that uses none is a 2.0 module.
    public var features: Set<ValidatorFeature> {
        var used = Set<ValidatorFeature>()
        func note(_ feature: ValidatorFeature?) { if let feature { used.insert(feature) } }
        func note(_ type: ValueType) { note(InstructionTypes.proposal(type)) }
        func note(memory: MemoryType) {
            if memory.isMemory64 { used.insert(.memory64) }
            if memory.shared { used.insert(.threads) }
        }
        func note(table: TableType) {
            note(.ref(table.elementType))
            if table.limits.isMemory64 { used.insert(.memory64) }
        }
        for type in types { (type.parameters + type.results).forEach(note) }
        allMemories.forEach { note(memory: $0) }
        if allMemories.count > 1 { used.insert(.multiMemory) }
        allTables.forEach { note(table: $0) }
        for global in allGlobals { note(global.valueType) }
        for element in elements { note(.ref(element.type)) }
        if !allTagTypeIndices.isEmpty { used.insert(.exceptionHandling) }
        for body in bodies {
            body.locals.forEach(note)
            for op in body.ops {
                note(InstructionTypes.proposal(op.instruction))
                if op.legacy != nil { used.insert(.exceptionHandling) }
                if let memory = Self.memoryIndex(op.instruction), memory != 0 { used.insert(.multiMemory) }
            }
        }
        return used
    }

    /// The (first) memory an instruction names, if it names one.
    private static func memoryIndex(_ instruction: Instruction) -> UInt32? {
        switch instruction {
        case .load(_, let memarg), .store(_, let memarg), .simdMemLane(_, let memarg, _): memarg.memory
        case .memorySize(let memory), .memoryGrow(let memory), .memoryFill(let memory), .memoryInit(_, let memory): memory
        case .memoryCopy(let destination, let source): max(destination, source)
        default: nil
        }
    }
}

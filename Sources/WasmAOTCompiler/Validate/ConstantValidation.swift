import WasmAOTFormat
import WasmParser
import WasmTypes

// Constant expressions (global initializers, segment offsets, element items): the validator
// checks that their instructions are constant, then leaves every other rule to
// WasmAOTFormat's ConstExprContext, which the metadata checks and the loader share.

extension ValidationContext {
    /// WebAssembly 2.0's context for constant expressions: they may read imported immutable
    /// globals only. The rules themselves are ``ConstExprContext``'s, shared with the metadata
    /// checks and the loader. Call once every global's type is checked.
    func constantContext() throws(ValidationError) -> ConstExprContext {
        var globalTypes: [WasmAOTFormat.GlobalType] = []
        for (i, global) in globals.enumerated() {
            guard let type = WasmAOTFormat.GlobalType(global) else {
                throw unsupported(
                    InstructionTypes.proposal(global.valueType) ?? .functionReferences,
                    "global \(i) has type \(global.valueType)")
            }
            globalTypes.append(type)
        }
        return ConstExprContext(
            globals: globalTypes, importedGlobalCount: importedGlobalCount,
            functionCount: functionTypeIndices.count, functionTypeIndices: functionTypeIndices, typeClasses: typeClasses,
            globalAccess: version == .v2 && !proposals.contains(.gc) ? .importedImmutable : .initializedImmutable)
    }

    /// Validates a constant expression: its instructions must be constant (``ConstInstr``);
    /// then `constants` checks that it produces exactly one `expected` value, with the reads
    /// the version validated against allows.
    func validateConstant(
        _ expression: ConstExpression, expected: ValueType, at site: ConstExprSite, _ constants: ConstExprContext
    ) throws(ValidationError) {
        var instructions: [ConstInstr] = []
        for (i, instruction) in expression.enumerated() {
            if case .end = instruction {
                guard i == expression.count - 1 else { throw error(.constantRequired, "\(site) continues after its end") }
                continue
            }
            if case .refNull(let heapType) = instruction {
                try require(InstructionTypes.proposal(heapType), "ref.null \(heapType) in \(site)")
            }
            guard let constant = ConstInstr(instruction) else {
                let mnemonic = InstructionTypes.mnemonic(instruction)
                if let feature = InstructionTypes.proposal(instruction) { throw unsupported(feature, "\(mnemonic) in \(site)") }
                throw error(.constantRequired, "\(mnemonic) is not allowed in \(site)")
            }
            instructions.append(constant)
        }
        guard let expectedType = ValType(expected) else {
            throw unsupported(InstructionTypes.proposal(expected) ?? .functionReferences, "\(site) has type \(expected)")
        }
        do {
            try constants.check(instructions, produces: expectedType, at: site)
        } catch {
            throw self.error(Self.rule(for: error.problem), error.description)
        }
    }

    /// The rule of the official test suite a constant expression's problem breaks.
    static func rule(for problem: ConstExprError.Problem) -> ValidationRule {
        switch problem {
        case .unknownGlobal, .unreadableGlobal: .unknownGlobal
        case .mutableGlobal: .constantRequired
        case .unknownFunction: .unknownFunction
        case .unknownType: .unknownType
        case .stackUnderflow, .operandMismatch, .v128Length, .notAReference, .valueUnavailable, .result: .typeMismatch
        }
    }
}

// Operators of the main graph: what each one is (from the operator code table), which
// tensors it reads and writes, and its builtin options.

import { OBJECT_COST, type Table } from './flatbuffer-reader.js';
import type { Operator } from './model-types.js';
import { readOptions } from './options.js';
import {
  BuiltinOperator, builtinOperatorName, type Field, ModelFields, OperatorCodeFields,
  OperatorFields, SubGraphFields,
} from './schema.js';

export interface OperatorCode {
  code: number;
  name: string;
}

export function readOperatorCodes(root: Table): OperatorCode[] {
  const vector = root.tables(ModelFields.operator_codes);
  const codes: OperatorCode[] = [];
  for (let i = 0; vector && i < vector.length; i++) {
    const entry = vector.at(i, `operator code ${i}`);
    // The int8 field holds codes up to 126 and 127 (PLACEHOLDER_FOR_GREATER_OP_CODES) for
    // larger ones; older files lack the int32 field. TFLite takes the larger of the two.
    const code = Math.max(
      entry.int8(OperatorCodeFields.deprecated_builtin_code),
      entry.int32(OperatorCodeFields.builtin_code),
    );
    if (code < 0) entry.fail(OperatorCodeFields.builtin_code, `${code} is not an operator code`);
    const name = code === BuiltinOperator.CUSTOM
      ? `CUSTOM:${entry.string(OperatorCodeFields.custom_code) ?? ''}`
      : builtinOperatorName(code);
    codes.push({ code, name });
  }
  return codes;
}

export function readOperators(subgraph: Table, codes: OperatorCode[], tensorCount: number): Operator[] {
  const vector = subgraph.tables(SubGraphFields.operators);
  const operators: Operator[] = [];
  for (let i = 0; vector && i < vector.length; i++) {
    const unnamed = vector.at(i, `operator ${i}`);
    unnamed.reader.charge(OBJECT_COST, unnamed.where);
    const codeIndex = unnamed.uint32(OperatorFields.opcode_index);
    if (codeIndex >= codes.length) {
      unnamed.fail(OperatorFields.opcode_index, `${codeIndex} out of range (file has ${codes.length} operator codes)`);
    }
    const { code, name } = codes[codeIndex];
    const table = unnamed.named(`operator ${i} ${name}`);
    operators.push({
      index: i,
      code,
      name,
      inputs: readTensorIndices(table, OperatorFields.inputs, tensorCount, true),
      outputs: readTensorIndices(table, OperatorFields.outputs, tensorCount),
      options: readOptions(table, code, table.where),
      customOptions: code === BuiltinOperator.CUSTOM ? table.bytes(OperatorFields.custom_options) : null,
    });
  }
  return operators;
}

export function readTensorIndices(
  table: Table,
  field: Field,
  tensorCount: number,
  optional = false,
): number[] {
  const indices = table.int32s(field) ?? [];
  const lowest = optional ? -1 : 0;
  const bad = indices.findIndex((t) => t < lowest || t >= tensorCount);
  if (bad >= 0) {
    table.fail(field, `entry ${bad} is tensor ${indices[bad]}, out of range (subgraph has ${tensorCount} tensors)`);
  }
  return indices;
}

/**
 * Disjoint byte atoms: the coarsest partition of the bytes such that every terminal's byte set
 * is a union of atoms. Automata use atoms as their input alphabet, so overlapping classes (the
 * defect that made the published Pre³ code nondeterministic) can never both match one byte:
 * an item whose next terminal is a class advances on each of its atoms, and conflicts are
 * checked per atom.
 */

import { type ByteCfg, type ByteSet, hasByte } from "./byte-cfg.js";

/** The atom partition of a grammar's bytes. Arrays are owned by the table. */
export interface AtomTable {
  /** Number of atoms (excluding the end-of-input column that LR tables add). */
  readonly numAtoms: number;
  /** Atom of each byte; -1 for a byte no terminal contains (always rejected). */
  readonly byteToAtom: Int16Array;
  /** Atoms of each terminal, ascending. */
  readonly terminalAtoms: readonly Int32Array[];
  /** Bytes of each atom, ascending. */
  readonly atomBytes: readonly number[][];
}

/** Partitions the bytes used by `cfg`'s terminals into disjoint atoms (deterministic order). */
export function buildAtoms(cfg: ByteCfg): AtomTable {
  const byteToAtom = new Int16Array(256).fill(-1);
  const atomBytes: number[][] = [];
  const atomOfSignature = new Map<string, number>();
  for (let b = 0; b < 256; b++) {
    const sig: number[] = [];
    cfg.terminals.forEach((set: ByteSet, t) => {
      if (hasByte(set, b)) sig.push(t);
    });
    if (sig.length === 0) continue;
    const key = sig.join(",");
    let atom = atomOfSignature.get(key);
    if (atom === undefined) {
      atom = atomBytes.length;
      atomOfSignature.set(key, atom);
      atomBytes.push([]);
    }
    byteToAtom[b] = atom;
    atomBytes[atom]?.push(b);
  }
  const terminalAtoms = cfg.terminals.map((set) => {
    const atoms = new Set<number>();
    for (let b = 0; b < 256; b++) if (hasByte(set, b)) atoms.add(byteToAtom[b] as number);
    return Int32Array.from([...atoms].sort((x, y) => x - y));
  });
  return { numAtoms: atomBytes.length, byteToAtom, terminalAtoms, atomBytes };
}

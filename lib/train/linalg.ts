/**
 * The one factorisation the heads need, in float64: feature widths are a few hundred, so a plain
 * Cholesky is instant, and float32 would lose the small directions that probes exist to find.
 */

/**
 * Cholesky factorisation in place: on return the lower triangle of `A` (`d × d`, row-major,
 * symmetric; only its lower triangle is read) holds `L` with `A = L Lᵀ`. Returns -1, or the first
 * row at which `A` turned out not to be positive definite (the factor is then incomplete).
 */
export function choleskyInPlace(A: Float64Array, d: number): number {
  for (let j = 0; j < d; j++) {
    let diag = A[j * d + j];
    for (let k = 0; k < j; k++) diag -= A[j * d + k] ** 2;
    if (!(diag > 0)) return j;
    const root = Math.sqrt(diag);
    A[j * d + j] = root;
    for (let i = j + 1; i < d; i++) {
      let v = A[i * d + j];
      for (let k = 0; k < j; k++) v -= A[i * d + k] * A[j * d + k];
      A[i * d + j] = v / root;
    }
  }
  return -1;
}

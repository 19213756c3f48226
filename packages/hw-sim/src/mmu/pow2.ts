/**
 * 2^n for n in 0..63 as exact doubles. `2 ** n` with a variable exponent goes through a slow
 * generic power routine in V8 (tens of ns); the hot paths index this table instead.
 */
export const POW2: Float64Array = (() => {
  const table = new Float64Array(64);
  let value = 1;
  for (let n = 0; n < 64; n++) {
    table[n] = value;
    value *= 2;
  }
  return table;
})();

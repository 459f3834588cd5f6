// A-1, as the grade-entry table shows it while grades are typed: each pool's EXCELLENT quota, what the
// saved results already use of it, and what the grades on screen would use. The services decide; this
// only lets the officer see the refusal coming, and refuses before submitting what they would refuse.
export const EXCELLENT = 'EXCELLENT';

// rows: [{ cadre_id, pool, in_quota, saved, grade }] — `saved` the recorded grade, `grade` the one on
// screen (the saved one unless changed). sheet: the quota sheet (GET /appraisal/units/{unit}/quotas/{year}):
// its pools, or its group's when the unit is pooled in a quota group (that quota binds).
export function quotaState(sheet, rows) {
  const pools = (sheet?.group?.pools?.length ? sheet.group.pools : sheet?.pools) || [];
  return pools.map((pool) => {
    const mine = rows.filter((row) => row.in_quota !== false && (row.pool || 'DEFAULT') === pool.pool);
    const saved = mine.filter((row) => row.saved === EXCELLENT).length;
    const planned = mine.filter((row) => row.grade === EXCELLENT).length;
    const used = pool.used - saved + planned;
    return {
      pool: pool.pool,
      max: pool.max,
      used,
      remaining: pool.max - used,
      over: used > pool.max,
    };
  });
}

export function overQuota(state) {
  return state.filter((pool) => pool.over);
}

// the grades to send: the rows whose grade on screen differs from what is saved
export function changedGrades(rows) {
  return rows.filter((row) => row.grade && row.grade !== row.saved)
    .map((row) => ({ cadre_id: row.cadre_id, grade: row.grade, ...(row.comment ? { comment: row.comment } : {}) }));
}

// the participants still without a grade: finalizing is refused while any is left
export function missingGrades(rows) {
  return rows.filter((row) => !row.saved && !row.notRated).map((row) => row.cadre_id);
}

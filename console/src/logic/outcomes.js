// 容错纠错: what the assessment checklist shows beside the outcomes. The tolerance service works the
// allowed outcomes out (GET …/allowed-outcomes, T-3/T-4); this turns its answer into one row per
// outcome — allowed or not, and the rules that allow it — and names what still stands in the way.

// outcomes: every outcome code (labels' tolerance_outcome); answer: the service's AllowedOutcomes
export function outcomeRows(outcomes, answer) {
  const allowed = new Map((answer?.allowed || []).map((item) => [item.outcome, item.rules || []]));
  return outcomes.map((outcome) => ({
    outcome,
    allowed: allowed.has(outcome),
    rules: allowed.get(outcome) || [],
  }));
}

// what is still missing before outcomes can be worked out: conditions not yet recorded, the loss, factors
export function blockers(answer) {
  if (!answer || answer.complete) return { conditions: [], loss: false, factors: answer?.missing_factors || [] };
  return {
    conditions: answer.missing_conditions || [],
    loss: Boolean(answer.loss_missing),
    factors: answer.missing_factors || [],
  };
}


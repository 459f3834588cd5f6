import { mount } from '@vue/test-utils';
import ElementPlus from 'element-plus';
import { describe, expect, it } from 'vitest';

import AllowedOutcomes from '../src/components/AllowedOutcomes.vue';
import { setLabels } from '../src/labels.js';
import { blockers, outcomeRows } from '../src/logic/outcomes.js';

const OUTCOMES = ['EXEMPTED', 'MITIGATED', 'NOT_TOLERATED'];

describe('the outcomes the service allows', () => {
  it('marks each outcome allowed or not, with the rules that allow it', () => {
    const answer = { complete: true, allowed: [{ outcome: 'MITIGATED', rules: ['T-3', 'T-4'] }], missing_conditions: [] };
    expect(outcomeRows(OUTCOMES, answer)).toEqual([
      { outcome: 'EXEMPTED', allowed: false, rules: [] },
      { outcome: 'MITIGATED', allowed: true, rules: ['T-3', 'T-4'] },
      { outcome: 'NOT_TOLERATED', allowed: false, rules: [] },
    ]);
  });

  it('names what still stands in the way before anything is allowed', () => {
    const answer = { complete: false, allowed: [], missing_conditions: ['C1', 'C2'], loss_missing: true, missing_factors: [] };
    expect(blockers(answer)).toEqual({ conditions: ['C1', 'C2'], loss: true, factors: [] });
    expect(outcomeRows(OUTCOMES, answer).every((r) => !r.allowed)).toBe(true);
  });
});

describe('the allowed-outcomes panel', () => {
  setLabels({ tolerance_outcome: { EXEMPTED: { zh: '免责', en: 'Exempted' }, MITIGATED: { zh: '减责', en: 'Mitigated' },
    NOT_TOLERATED: { zh: '不予容错', en: 'Not tolerated' } }, tolerance_condition: { C1: { zh: '条件一', en: 'One' } } });

  it('changes when the service answers differently after a condition is recorded', async () => {
    const wrapper = mount(AllowedOutcomes, { global: { plugins: [ElementPlus] },
      props: { outcomes: OUTCOMES, answer: { complete: false, allowed: [], missing_conditions: ['C1'], loss_missing: false } } });
    expect(wrapper.text()).toContain('条件一');
    expect(wrapper.find('[data-test="outcome-EXEMPTED"]').attributes('data-allowed')).toBe('false');
    await wrapper.setProps({ answer: { complete: true, allowed: [{ outcome: 'EXEMPTED', rules: ['T-3'] }], missing_conditions: [] } });
    expect(wrapper.text()).not.toContain('条件一');
    expect(wrapper.find('[data-test="outcome-EXEMPTED"]').attributes('data-allowed')).toBe('true');
    expect(wrapper.find('[data-test="outcome-EXEMPTED"]').text()).toContain('T-3');
    expect(wrapper.find('[data-test="outcome-MITIGATED"]').attributes('data-allowed')).toBe('false');
  });
});

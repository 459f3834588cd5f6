import { mount } from '@vue/test-utils';
import ElementPlus from 'element-plus';
import { describe, expect, it } from 'vitest';

import QuotaCards from '../src/components/QuotaCards.vue';
import { setLabels } from '../src/labels.js';
import { changedGrades, missingGrades, overQuota, quotaState } from '../src/logic/quota.js';

const sheet = {
  unit_id: 'U', year: 2026,
  pools: [
    { pool: 'STREET_CIVIL_SERVANT', participants: 10, ratio: '0.20', max: 2, used: 1, remaining: 1 },
    { pool: 'DEFAULT', participants: 7, ratio: '0.15', max: 1, used: 0, remaining: 1 },
  ],
  group: null,
};
const row = (cadre_id, pool, saved, grade, in_quota = true) => ({ cadre_id, pool, saved, grade, in_quota });

describe('A-1 quota while grades are typed', () => {
  it('counts the saved EXCELLENT once and adds what is typed', () => {
    const rows = [row('a', 'STREET_CIVIL_SERVANT', 'EXCELLENT', 'EXCELLENT'),
      row('b', 'STREET_CIVIL_SERVANT', null, 'EXCELLENT'), row('c', 'DEFAULT', null, 'COMPETENT')];
    const [street, other] = quotaState(sheet, rows);
    expect(street).toMatchObject({ pool: 'STREET_CIVIL_SERVANT', used: 2, max: 2, remaining: 0, over: false });
    expect(other).toMatchObject({ used: 0, remaining: 1, over: false });
  });

  it('refuses one more EXCELLENT than the pool holds, in that pool only', () => {
    const rows = [row('a', 'DEFAULT', null, 'EXCELLENT'), row('b', 'DEFAULT', null, 'EXCELLENT'),
      row('c', 'STREET_CIVIL_SERVANT', null, 'EXCELLENT')];
    const over = overQuota(quotaState(sheet, rows));
    expect(over.map((p) => p.pool)).toEqual(['DEFAULT']);
    expect(over[0]).toMatchObject({ used: 2, max: 1, remaining: -1 });
  });

  it('lets a principal leader be EXCELLENT outside the quota', () => {
    const rows = [row('boss', 'DEFAULT', null, 'EXCELLENT', false), row('b', 'DEFAULT', null, 'EXCELLENT')];
    expect(overQuota(quotaState(sheet, rows))).toEqual([]);
  });

  it('gives back the quota of a saved EXCELLENT changed on screen', () => {
    const rows = [row('a', 'STREET_CIVIL_SERVANT', 'EXCELLENT', 'COMPETENT')];
    expect(quotaState(sheet, rows)[0]).toMatchObject({ used: 0, remaining: 2 });
  });

  it('binds on the quota group when the unit is pooled in one', () => {
    const pooled = { ...sheet, group: { group_id: 'G', pools: [{ pool: 'DEFAULT', max: 3, used: 3, remaining: 0 }] } };
    const state = quotaState(pooled, [row('x', 'DEFAULT', null, 'EXCELLENT')]);
    expect(state).toHaveLength(1);
    expect(state[0]).toMatchObject({ used: 4, max: 3, over: true });
  });

  it('sends only the grades changed, and names who has none', () => {
    const rows = [row('a', 'DEFAULT', 'COMPETENT', 'COMPETENT'), row('b', 'DEFAULT', null, 'EXCELLENT'),
      { ...row('c', 'DEFAULT', null, null) }, { ...row('d', 'DEFAULT', null, null), notRated: true }];
    expect(changedGrades(rows)).toEqual([{ cadre_id: 'b', grade: 'EXCELLENT' }]);
    expect(missingGrades(rows)).toEqual(['b', 'c']);
  });
});

describe('the quota display', () => {
  it('shows each pool with its figures and marks the one over its quota with rule A-1', async () => {
    setLabels({ quota_pool: { DEFAULT: { zh: '其他人员', en: 'Others' },
      STREET_CIVIL_SERVANT: { zh: '街道公务员', en: 'Street civil servants' } } });
    const wrapper = mount(QuotaCards, {
      global: { plugins: [ElementPlus] },
      props: { quota: quotaState(sheet, [row('a', 'DEFAULT', null, 'EXCELLENT'), row('b', 'DEFAULT', null, 'EXCELLENT')]) },
    });
    expect(wrapper.find('[data-test="quota-DEFAULT"]').text()).toContain('2');
    expect(wrapper.find('[data-test="quota-STREET_CIVIL_SERVANT"]').text()).toContain('已用 1 / 共 2');
    const refusals = wrapper.findAll('[data-test="quota-refusal"]');
    expect(refusals).toHaveLength(1);
    expect(refusals[0].text()).toContain('其他人员');
    expect(refusals[0].text()).toContain('A-1');
  });
});

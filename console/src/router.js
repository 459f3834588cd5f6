// One route per page (pages/<name>/), all inside the shared layout; every page but the sign-in callback
// needs a signed-in user, and a page a role has no use for is not in its menu (the services decide what
// it may read: a page shows their refusal, it does not pretend).
import { createRouter, createWebHistory } from 'vue-router';

import { finishSignIn, signedIn, signIn } from './auth.js';
import ShellLayout from './layout/ShellLayout.vue';

export const PAGES = [
  { name: 'desk', path: '', icon: 'HomeFilled', roles: null, component: () => import('./pages/desk/DeskPage.vue') },
  { name: 'appraisal', path: 'appraisal', icon: 'Medal', roles: ['ORG_ADMIN', 'UNIT_ADMIN'],
    component: () => import('./pages/appraisal/AppraisalPage.vue') },
  { name: 'cadres', path: 'cadres', icon: 'User',
    roles: ['ORG_ADMIN', 'UNIT_ADMIN', 'DISCIPLINE_OFFICER', 'CARE_OFFICER', 'CADRE'],
    component: () => import('./pages/cadres/CadresPage.vue') },
  { name: 'accountability', path: 'accountability', icon: 'Warning', roles: ['DISCIPLINE_OFFICER', 'ORG_ADMIN'],
    component: () => import('./pages/accountability/AccountabilityPage.vue') },
  { name: 'tolerance', path: 'tolerance', icon: 'FirstAidKit', roles: ['DISCIPLINE_OFFICER', 'ORG_ADMIN'],
    component: () => import('./pages/tolerance/TolerancePage.vue') },
  { name: 'talent', path: 'talent', icon: 'Trophy', roles: ['ORG_ADMIN', 'UNIT_ADMIN'],
    component: () => import('./pages/talent/TalentPage.vue') },
  { name: 'care', path: 'care', icon: 'Sunny', roles: ['CARE_OFFICER', 'UNIT_ADMIN', 'ORG_ADMIN'],
    component: () => import('./pages/care/CarePage.vue') },
  { name: 'reports', path: 'reports', icon: 'Document', roles: ['ORG_ADMIN', 'DISCIPLINE_OFFICER', 'CARE_OFFICER'],
    component: () => import('./pages/reports/ReportsPage.vue') },
  { name: 'audit', path: 'audit', icon: 'Search', roles: ['AUDITOR'],
    component: () => import('./pages/audit/AuditPage.vue') },
];

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes: [
    { path: '/callback', name: 'callback', component: { render: () => null }, meta: { public: true } },
    {
      path: '/',
      component: ShellLayout,
      children: [
        ...PAGES.map(({ name, path, component }) => ({ name, path, component })),
        { name: 'cadre', path: 'cadres/:cadreId', component: () => import('./pages/cadres/CadreProfile.vue'), props: true },
        { name: 'case', path: 'accountability/cases/:caseId', component: () => import('./pages/accountability/CasePage.vue'), props: true },
        { name: 'application', path: 'tolerance/applications/:applicationId',
          component: () => import('./pages/tolerance/ApplicationPage.vue'), props: true },
        { name: 'cycle', path: 'appraisal/cycles/:cycleId', component: () => import('./pages/appraisal/CyclePage.vue'), props: true },
        { name: 'missing', path: ':rest(.*)*', component: () => import('./pages/NotFound.vue') },
      ],
    },
  ],
});

router.beforeEach(async (to) => {
  if (to.name === 'callback') {
    try {
      return await finishSignIn();
    } catch {
      await signIn('/');
      return false;
    }
  }
  if (!signedIn()) {
    await signIn(to.fullPath);
    return false;
  }
  return true;
});

// Where a work item opens in the console: the gateway gives the API path of its record; the console's
// page for that record is one of these.
const BY_RECORD = {
  cycle: (item) => `/appraisal/cycles/${item.record_id}`,
  result: (item) => `/cadres/${item.cadre_id}`,
  eligibility: (item) => `/cadres/${item.cadre_id}`,
  leave: (item) => `/cadres/${item.cadre_id}`,
  pool_entry: () => '/talent?tab=pool',
  cadre: () => '/talent?tab=rotation',
  case: (item) => `/accountability/cases/${item.record_id}`,
  complaint: () => '/accountability?tab=complaints',
  application: (item) => `/tolerance/applications/${item.record_id}`,
  measure: (item) => `/tolerance/applications/${item.record_id.split(':')[0]}`,
  talk: () => '/care?tab=talks',
  hardship_application: () => '/care?tab=hardship',
  family: () => '/care?tab=families',
  unit: () => '/care?tab=health',
};

export function consolePath(item) {
  const to = BY_RECORD[item.record];
  return to ? to(item) : '/';
}

// due dates and waiting times as a person reads them: the day, and overdue in words
export function dueText(item, t) {
  if (!item.due) return '';
  const day = String(item.due).slice(0, 10);
  return item.overdue ? t('desk.overdueSince', { day }) : day;
}

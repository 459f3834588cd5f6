import 'element-plus/dist/index.css';
import './styles.css';

import ElementPlus from 'element-plus';
import { createApp } from 'vue';

import App from './App.vue';
import { startAuth } from './auth.js';
import { loadConfig } from './config.js';
import { loadLabels } from './labels.js';
import { router } from './router.js';

const config = await loadConfig();
startAuth(config);
await loadLabels();
createApp(App).use(ElementPlus).use(router).mount('#app');

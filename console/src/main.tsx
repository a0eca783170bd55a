import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { loadConsoleConfig, setConsoleConfig } from './auth/config';
import { finishHostedUiSignIn } from './auth/hosted-ui';
import './styles.css';

/** `/config.json` first (AWS: the hosted UI, and maybe a sign-in callback to finish), then the app. */
async function start(): Promise<void> {
  const config = await loadConsoleConfig((url) => fetch(url, { cache: 'no-store' }));
  setConsoleConfig(config);
  if (config !== null) await finishHostedUiSignIn(config.hostedUi);
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}

void start();

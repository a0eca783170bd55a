/** @switchyard/sdk/openfeature — the OpenFeature server provider (needs `@openfeature/server-sdk`). */
export { SwitchyardProvider } from './provider';
export type { SwitchyardProviderOptions } from './provider';

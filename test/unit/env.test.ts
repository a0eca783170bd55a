import { httpEnvSchema, parseEnv } from '../../shared/env';
import { ConfigurationError } from '../../shared/errors';

describe('environment parsed at cold start', () => {
  it('parses the HTTP environment', () => {
    expect(
      parseEnv(httpEnvSchema, {
        STAGE: 'dev',
        CORS_ALLOWED_ORIGINS: 'https://a, https://b',
        MAX_BODY_BYTES: '1048576',
      }),
    ).toEqual({
      STAGE: 'dev',
      CORS_ALLOWED_ORIGINS: ['https://a', 'https://b'],
      MAX_BODY_BYTES: 1048576,
    });
  });

  it('reads an empty origin list as none (stages without browser access)', () => {
    expect(
      parseEnv(httpEnvSchema, { STAGE: 'prod', CORS_ALLOWED_ORIGINS: '', MAX_BODY_BYTES: '10' })
        .CORS_ALLOWED_ORIGINS,
    ).toEqual([]);
  });

  it('names every missing or malformed variable', () => {
    expect(() => parseEnv(httpEnvSchema, { MAX_BODY_BYTES: 'lots' })).toThrow(ConfigurationError);
    expect(() => parseEnv(httpEnvSchema, { MAX_BODY_BYTES: 'lots' })).toThrow(
      /STAGE.*CORS_ALLOWED_ORIGINS.*MAX_BODY_BYTES/,
    );
  });
});

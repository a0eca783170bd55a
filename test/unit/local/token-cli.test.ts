import { joinNegativeValues } from '../../../bin/token';

describe('npm run token: arguments', () => {
  it('joins a negative number to the option before it, which util.parseArgs would refuse', () => {
    expect(joinNegativeValues(['--role', 'admin', '--expires-in', '-5'])).toEqual([
      '--role',
      'admin',
      '--expires-in=-5',
    ]);
    expect(joinNegativeValues(['--expires-in=-5', '--role', 'viewer'])).toEqual([
      '--expires-in=-5',
      '--role',
      'viewer',
    ]);
  });

  it('leaves options alone: a flag after a value option is still a flag', () => {
    expect(joinNegativeValues(['--expires-in', '60', '--role', 'admin'])).toEqual([
      '--expires-in',
      '60',
      '--role',
      'admin',
    ]);
    expect(joinNegativeValues(['--email', '--role'])).toEqual(['--email', '--role']);
  });
});

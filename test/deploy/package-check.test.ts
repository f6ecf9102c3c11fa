// A trial/release package is refused when it could reach the local stack: transport 'local' forced (in the build's
// environment or in any source file), a placeholder or different env id, a local gateway URL, a local identity. The
// package is staged from the real mini program, exactly as the deploy stages it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCloudPackage, readBuildEnv } from '../../scripts/deploy/package-check';
import { packageFiles, stageMiniprogram } from '../../scripts/deploy/stage';

let dir: string;
let mpRoot: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'deploy-pkg-'));
  mpRoot = stageMiniprogram({
    target: 'release',
    cloudEnv: 'shop-release-2b8d41',
    appid: 'wx0123456789abcdef',
    outDir: join(dir, 'project'),
  }).mpRoot;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Edits one staged file for the duration of `check`. */
function withEdit(file: string, edit: (text: string) => string, check: () => void): void {
  const abs = join(mpRoot, file);
  const before = readFileSync(abs, 'utf8');
  writeFileSync(abs, edit(before));
  try {
    check();
  } finally {
    writeFileSync(abs, before);
  }
}

describe('cloud package check', () => {
  it('accepts the staged release package: transport cloud, the env id, nothing local', () => {
    expect(checkCloudPackage(mpRoot, 'release', 'shop-release-2b8d41')).toEqual([]);
    expect(readBuildEnv(mpRoot)).toEqual({
      target: 'release',
      transport: 'cloud',
      cloudEnv: 'shop-release-2b8d41',
      localGatewayUrl: '',
      localSimulatorUrl: '',
      localOpenid: '',
      localBanner: '',
      localIdentities: [],
    });
    const staged = JSON.parse(readFileSync(join(dir, 'project', 'project.config.json'), 'utf8'));
    expect(staged.appid).toBe('wx0123456789abcdef');
    // The package has no test files, and TDesign is laid out as "Build npm" does.
    const files = packageFiles(mpRoot).map((f) => f.path);
    expect(files.some((f) => f.endsWith('.test.ts'))).toBe(false);
    expect(files).toContain('miniprogram_npm/tdesign-miniprogram/button/button.js');
  });

  it("refuses transport 'local' forced in the build environment", () => {
    withEdit(
      'config/build-env.ts',
      (t) => t.replace('"transport": "cloud"', '"transport": "local"'),
      () =>
        expect(checkCloudPackage(mpRoot, 'release')).toEqual([
          expect.stringMatching(
            /^config\/build-env\.ts: transport is "local" — a release package must use 'cloud'/,
          ),
          expect.stringMatching(/^config\/build-env\.ts:\d+ forces transport 'local'$/),
        ]),
    );
  });

  it("refuses transport 'local' forced in a source file", () => {
    withEdit(
      'config/env.ts',
      (t) => t.replace('transport: BUILD_ENV.transport,', "transport: 'local',"),
      () =>
        expect(checkCloudPackage(mpRoot, 'release')).toEqual([
          expect.stringMatching(/^config\/env\.ts:\d+ forces transport 'local'$/),
        ]),
    );
  });

  it('refuses a placeholder env id, and one that is not the configured environment', () => {
    withEdit(
      'config/build-env.ts',
      (t) => t.replace('shop-release-2b8d41', 'your-cloud-env-id'),
      () =>
        expect(checkCloudPackage(mpRoot, 'release')).toEqual([
          'config/build-env.ts: cloudEnv "your-cloud-env-id" is a placeholder, not your cloud environment id',
          expect.stringMatching(/^config\/build-env\.ts:\d+ names the placeholder cloud env id/),
        ]),
    );
    expect(checkCloudPackage(mpRoot, 'release', 'shop-other-env')).toEqual([
      'config/build-env.ts: cloudEnv "shop-release-2b8d41" is not the release environment "shop-other-env" of deploy.config.json',
    ]);
    expect(checkCloudPackage(mpRoot, 'trial')).toEqual([
      'config/build-env.ts: built for "release", not trial (build it with npm run deploy)',
    ]);
  });

  it('refuses the local gateway URL and local identities anywhere in the package', () => {
    withEdit(
      'config/build-env.ts',
      (t) =>
        t
          .replace('"localGatewayUrl": ""', '"localGatewayUrl": "http://127.0.0.1:7300"')
          .replace(
            '"localIdentities": []',
            '"localIdentities": [{ "openid": "o-dev-staff", "name": "店员" }]',
          ),
      () =>
        expect(checkCloudPackage(mpRoot, 'release')).toEqual([
          'config/build-env.ts: localGatewayUrl must be empty in a cloud build (found "http://127.0.0.1:7300")',
          "config/build-env.ts: localIdentities must be empty in a cloud build (the identity is WeChat's)",
          expect.stringMatching(/^config\/build-env\.ts:\d+ names a local gateway\/simulator URL$/),
          expect.stringMatching(/^config\/build-env\.ts:\d+ names a local identity/),
        ]),
    );
    withEdit(
      'services/cloud.ts',
      (t) => `${t}\nexport const FALLBACK = 'http://localhost:7300';\n`,
      () =>
        expect(checkCloudPackage(mpRoot, 'release')).toEqual([
          expect.stringMatching(/^services\/cloud\.ts:\d+ names a local gateway\/simulator URL$/),
        ]),
    );
  });

  it('finds the local preview in the committed sources (what npm start uses) and refuses it as a package', () => {
    const source = join(__dirname, '..', '..', 'miniprogram');
    const problems = checkCloudPackage(source, 'release');
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/transport is "local"/),
        expect.stringMatching(/built for "local", not release/),
        'config/build-env.ts: cloudEnv is empty',
      ]),
    );
  });

  it('npm run mp:check -- --env release refuses the package with transport local forced, and accepts it as staged', () => {
    const mpCheck = () =>
      spawnSync(
        process.execPath,
        [
          '--require',
          require.resolve('tsx/cjs'),
          join(__dirname, '..', '..', 'scripts', 'mp-check.ts'),
          '--env',
          'release',
          '--project',
          join(dir, 'project'),
          '--no-ci',
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
    withEdit(
      'config/build-env.ts',
      (t) => t.replace('"transport": "cloud"', '"transport": "local"'),
      () => {
        const r = mpCheck();
        expect(r.status).toBe(1);
        expect(r.stderr).toContain('mp-check: this package must NOT be uploaded');
        expect(r.stderr).toContain('transport is "local"');
      },
    );
    const ok = mpCheck();
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('mp-check: a cloud package: transport cloud, a real env id, nothing local.');
    expect(ok.stdout).toContain('DevTools would build it.');
  });
});

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tailOfFile } from './processes';
import { StackError } from './stack-error';

/**
 * Temporal CLI release built by `go install`. Later tags carry a `replace` directive and a
 * sub-module the Go module proxy does not serve, so `@latest` fails to install.
 */
export const TEMPORAL_CLI_VERSION = '1.5.1';

/** File name of the FerretDB wrapper built from `tools/ferretdb`. */
export const FERRETDB_BINARY_NAME = 'chassis-ferretdb';

/** The oldest Go that builds both servers (their go.mod files say `go 1.24`). */
const MINIMUM_GO = { major: 1, minor: 24 };

/** Where and how binaries are built. */
export interface BinaryOptions {
  /** Folder for build logs, normally `<home>/logs`. */
  logDirectory: string;
  /** Environment used to find the cache folder and to run `go`. @default process.env */
  environment?: NodeJS.ProcessEnv;
  /** Receives the one progress line printed before a build. @default writes to stderr */
  onProgress?: (line: string) => void;
}

/** What to build, where the result goes, and how `go` builds it. */
interface BinaryRecipe {
  label: string;
  logName: string;
  finalPath: string;
  /** The go command; `output` is the folder (`go install`) or file (`go build`) to write. */
  goArguments: (outputFolder: string) => { arguments: string[]; cwd?: string; extraEnvironment?: NodeJS.ProcessEnv };
  duration: string;
}

/**
 * The shared binary cache: `$CHASSIS_BIN_DIR`, else `${XDG_CACHE_HOME:-~/.cache}/chassis/bin`.
 * Shared across clones, so a second clone (or a second run) does not rebuild.
 */
export function binaryCacheDirectory(environment: NodeJS.ProcessEnv = process.env): string {
  if (environment.CHASSIS_BIN_DIR) return path.resolve(environment.CHASSIS_BIN_DIR);
  const cacheRoot = environment.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheRoot, 'chassis', 'bin');
}

/** Path of the Temporal CLI in the cache, whether or not it is built yet. */
export function temporalCliPath(environment: NodeJS.ProcessEnv = process.env): string {
  return path.join(binaryCacheDirectory(environment), `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

/**
 * Path of the FerretDB wrapper in the cache, whether or not it is built yet. The folder
 * name carries the FerretDB version and a hash of the wrapper's sources, because a changed
 * `main.go` or `go.sum` must not silently reuse an old binary.
 */
export function ferretDbPath(environment: NodeJS.ProcessEnv = process.env): string {
  const source = ferretDbSourceDirectory();
  const goModule = fs.readFileSync(path.join(source, 'go.mod'), 'utf8');
  const version = /github\.com\/FerretDB\/FerretDB v([^\s]+)/.exec(goModule)?.[1] ?? 'unknown';
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(fs.readFileSync(path.join(source, file)));
  const folder = `ferretdb-${version}-${hash.digest('hex').slice(0, 8)}`;
  return path.join(binaryCacheDirectory(environment), folder, FERRETDB_BINARY_NAME);
}

/** Returns the Temporal CLI, building it with `go install` the first time. */
export async function ensureTemporalCli(options: BinaryOptions): Promise<string> {
  return ensureBinary(
    {
      label: `Temporal CLI v${TEMPORAL_CLI_VERSION}`,
      logName: 'build-temporal.log',
      finalPath: temporalCliPath(options.environment),
      goArguments: (outputFolder) => ({
        arguments: ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`],
        extraEnvironment: { GOBIN: outputFolder },
      }),
      duration: 'a few minutes',
    },
    options,
  );
}

/** Returns the FerretDB wrapper (`tools/ferretdb`), building it with `go build` the first time. */
export async function ensureFerretDb(options: BinaryOptions): Promise<string> {
  return ensureBinary(
    {
      label: 'FerretDB (tools/ferretdb)',
      logName: 'build-ferretdb.log',
      finalPath: ferretDbPath(options.environment),
      goArguments: (outputFolder) => ({
        arguments: ['build', '-o', path.join(outputFolder, FERRETDB_BINARY_NAME), '.'],
        cwd: ferretDbSourceDirectory(),
      }),
      duration: 'about two minutes',
    },
    options,
  );
}

async function ensureBinary(recipe: BinaryRecipe, options: BinaryOptions): Promise<string> {
  if (isExecutableFile(recipe.finalPath)) return recipe.finalPath;
  const environment = options.environment ?? process.env;
  requireGo(environment);

  const cacheDirectory = binaryCacheDirectory(environment);
  fs.mkdirSync(cacheDirectory, { recursive: true });
  fs.mkdirSync(options.logDirectory, { recursive: true });
  const logFile = path.join(options.logDirectory, recipe.logName);
  // Built in a private folder inside the cache, then renamed: the rename is atomic on one
  // file system, so an interrupted build never leaves a half-written binary in place, and
  // two clones building at once do not write the same file.
  removeAbandonedBuildFolders(cacheDirectory);
  const buildFolder = fs.mkdtempSync(path.join(cacheDirectory, '.build-'));
  const progress = options.onProgress ?? ((line: string) => process.stderr.write(`${line}\n`));
  try {
    const command = recipe.goArguments(buildFolder);
    progress(
      `building ${recipe.label} with go ${command.arguments[0]} (first time only, ${recipe.duration})… log: ${logFile}`,
    );
    await runGo(command.arguments, {
      cwd: command.cwd,
      environment: { ...environment, ...command.extraEnvironment },
      logFile,
    });
    const built = path.join(buildFolder, path.basename(recipe.finalPath));
    if (!isExecutableFile(built)) {
      throw new StackError(`building ${recipe.label} produced no ${path.basename(built)}: see ${logFile}`);
    }
    fs.mkdirSync(path.dirname(recipe.finalPath), { recursive: true });
    fs.renameSync(built, recipe.finalPath);
    return recipe.finalPath;
  } finally {
    fs.rmSync(buildFolder, { recursive: true, force: true });
  }
}

function runGo(
  goArguments: string[],
  options: { cwd: string | undefined; environment: NodeJS.ProcessEnv; logFile: string },
): Promise<void> {
  const log = fs.openSync(options.logFile, 'a');
  fs.writeSync(log, `\n=== ${new Date().toISOString()} go ${goArguments.join(' ')}\n`);
  return new Promise<void>((resolve, reject) => {
    const child = spawn('go', goArguments, {
      cwd: options.cwd,
      env: options.environment,
      stdio: ['ignore', log, log],
    });
    child.once('error', (error) => {
      fs.closeSync(log);
      reject(new StackError(`cannot run go: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      fs.closeSync(log);
      if (code === 0) {
        resolve();
        return;
      }
      const how = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
      const tail = tailOfFile(options.logFile, 3);
      reject(
        new StackError(
          `go ${goArguments[0]} ${how}: see ${options.logFile}${tail === '' ? '' : `; its last lines:\n${tail}`}`,
        ),
      );
    });
  });
}

/** Throws a {@link StackError} saying what to install when no usable `go` is on the PATH. */
function requireGo(environment: NodeJS.ProcessEnv): void {
  const result = spawnSync('go', ['env', 'GOVERSION'], { env: environment, encoding: 'utf8' });
  if (result.error === undefined && result.status === 0) {
    const version = /go(\d+)\.(\d+)/.exec(result.stdout);
    const major = Number(version?.[1]);
    const minor = Number(version?.[2]);
    // Go 1.21+ downloads a newer toolchain itself (GOTOOLCHAIN=auto), through the module proxy.
    if (major > 1 || (major === 1 && minor >= 21)) return;
    throw new StackError(
      `Go ${MINIMUM_GO.major}.${MINIMUM_GO.minor} or newer is needed to build the local Temporal and FerretDB servers, found ${result.stdout.trim()}: upgrade Go, or set TEMPORAL_ADDRESS and MONGODB_URI to running servers`,
    );
  }
  const docker = spawnSync('docker', ['info'], { env: environment, stdio: 'ignore', timeout: 10_000 });
  if (docker.error === undefined && docker.status === 0) {
    throw new StackError(
      'Go is not installed, but Docker is: run "docker compose up -d" (docker-compose.yml), then export TEMPORAL_ADDRESS=127.0.0.1:7233 and MONGODB_URI="mongodb://127.0.0.1:27017/?directConnection=true"',
    );
  }
  throw new StackError(
    `Go >= ${MINIMUM_GO.major}.${MINIMUM_GO.minor} is needed to build the local Temporal and FerretDB servers: install it from your package manager (e.g. apt-get install golang-go) or set TEMPORAL_ADDRESS and MONGODB_URI to running servers`,
  );
}

/** Build folders left by an interrupted build (Ctrl-C skips `finally`); old enough to be nobody's. */
function removeAbandonedBuildFolders(cacheDirectory: string): void {
  const anHourAgo = Date.now() - 60 * 60_000;
  for (const entry of fs.readdirSync(cacheDirectory)) {
    const folder = path.join(cacheDirectory, entry);
    if (entry.startsWith('.build-') && fs.statSync(folder).mtimeMs < anHourAgo) {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  }
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds `tools/ferretdb` by walking up from this file, so the lookup works from `src/`
 * (tsx, jest) and from a compiled `dist/src/` alike.
 */
function ferretDbSourceDirectory(): string {
  for (let folder = __dirname; ; folder = path.dirname(folder)) {
    const candidate = path.join(folder, 'tools', 'ferretdb');
    if (fs.existsSync(path.join(candidate, 'go.mod'))) return candidate;
    if (path.dirname(folder) === folder) {
      throw new StackError(`cannot find tools/ferretdb/go.mod above ${__dirname}: is this a full Chassis checkout?`);
    }
  }
}

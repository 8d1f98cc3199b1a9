import { AnnotatePage, AnnotateQueuePage, QueueDonePage } from "@/features/annotate/annotate-page";
import { CalibrationPage } from "@/features/judges/calibration-page";
import { JudgePage } from "@/features/judges/judge-page";
import { JudgesPage } from "@/features/judges/judges-page";
import { JudgeRunPage } from "@/features/judges/run-page";
import { username } from "@/features/projects/api";
import { DashboardPage } from "@/features/projects/dashboard-page";
import { ImportPage } from "@/features/projects/import-page";
import { MembersPage } from "@/features/projects/members-page";
import { ProjectsPage } from "@/features/projects/projects-page";
import { QualityPage } from "@/features/quality/quality-page";
import { ReviewItemPage, ReviewListPage } from "@/features/review/review-page";
import { RubricPage } from "@/features/taxonomy/rubric-page";
import { TaxonomyPage } from "@/features/taxonomy/taxonomy-page";
import { RewardModelPage } from "@/features/training/reward-model-page";
import { RunPage } from "@/features/training/run-page";
import { TrainingPage } from "@/features/training/training-page";
import { csrfToken } from "@/lib/api/client";
import { Link, matchPath, useRouter } from "@/lib/router";

type Route = { pattern: string; render: (p: Record<string, string>) => React.ReactNode };

const id = (p: Record<string, string>, k: string) => Number(p[k]);

const ROUTES: Route[] = [
  { pattern: "/", render: () => <ProjectsPage /> },
  { pattern: "/projects", render: () => <ProjectsPage /> },
  { pattern: "/projects/:pid", render: (p) => <DashboardPage projectId={id(p, "pid")} /> },
  { pattern: "/projects/:pid/annotate", render: (p) => <AnnotateQueuePage projectId={id(p, "pid")} /> },
  { pattern: "/projects/:pid/annotate/done", render: (p) => <QueueDonePage projectId={id(p, "pid")} /> },
  // Keyed by item: moving to another item (next, skip, back) mounts a fresh page, so nothing
  // loaded for the previous item can stand in for this one while it loads.
  { pattern: "/projects/:pid/annotate/:item", render: (p) => <AnnotatePage key={p.item} projectId={id(p, "pid")} itemId={id(p, "item")} /> },
  { pattern: "/projects/:pid/review", render: (p) => <ReviewListPage projectId={id(p, "pid")} /> },
  // Keyed by item too: the review page of the next item starts empty (no columns, scores or
  // consensus draft of the item before).
  { pattern: "/projects/:pid/review/:item", render: (p) => <ReviewItemPage key={p.item} projectId={id(p, "pid")} itemId={id(p, "item")} /> },
  { pattern: "/projects/:pid/taxonomy", render: (p) => <TaxonomyPage projectId={id(p, "pid")} /> },
  { pattern: "/projects/:pid/rubric", render: (p) => <RubricPage projectId={id(p, "pid")} /> },
  { pattern: "/projects/:pid/members", render: (p) => <MembersPage projectId={id(p, "pid")} /> },
  { pattern: "/projects/:pid/import", render: (p) => <ImportPage projectId={id(p, "pid")} /> },
  { pattern: "/projects/:pid/training", render: (p) => <TrainingPage projectId={id(p, "pid")} /> },
  { pattern: "/projects/:pid/training/runs/:run", render: (p) => <RunPage projectId={id(p, "pid")} runId={id(p, "run")} /> },
  { pattern: "/projects/:pid/training/:rm", render: (p) => <RewardModelPage projectId={id(p, "pid")} modelId={id(p, "rm")} /> },
  { pattern: "/projects/:pid/quality", render: (p) => <QualityPage projectId={id(p, "pid")} /> },
  { pattern: "/projects/:pid/judges", render: (p) => <JudgesPage projectId={id(p, "pid")} /> },
  { pattern: "/projects/:pid/judges/:judge", render: (p) => <JudgePage projectId={id(p, "pid")} judgeId={id(p, "judge")} /> },
  { pattern: "/projects/:pid/judges/:judge/calibration", render: (p) => <CalibrationPage projectId={id(p, "pid")} judgeId={id(p, "judge")} /> },
  { pattern: "/projects/:pid/judges/:judge/runs/:run", render: (p) => <JudgeRunPage projectId={id(p, "pid")} judgeId={id(p, "judge")} runId={id(p, "run")} /> },
];

export function App() {
  const { path } = useRouter();
  let page: React.ReactNode = (
    <main className="page">
      <h1>Not found</h1>
      <p>
        <Link to="/">Back to the projects</Link>
      </p>
    </main>
  );
  for (const r of ROUTES) {
    const params = matchPath(r.pattern, path);
    if (params && Object.entries(params).every(([k, v]) => !/^(pid|item|run|rm|judge)$/.test(k) || /^\d+$/.test(v))) {
      page = r.render(params);
      break;
    }
  }
  return (
    <>
      <header className="topbar">
        <Link to="/" className="brand">
          Finegrain
        </Link>
        <span className="spacer" />
        <span className="user plain">{username()}</span>
        <form method="post" action="/accounts/logout/">
          <input type="hidden" name="csrfmiddlewaretoken" value={csrfToken()} />
          <button type="submit" className="link">
            Sign out
          </button>
        </form>
      </header>
      {page}
    </>
  );
}

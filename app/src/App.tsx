// The app: the hash router and the layout around each page. Pages are loaded on demand, so the
// first load carries only the page it shows.
import { lazy, Suspense, useEffect } from "react";
import { Layout } from "./components/Layout";
import { Empty, Loading } from "./components/States";
import { href, useRoute } from "./lib/router";

const HomePage = lazy(() => import("./pages/home/HomePage"));
const NewJobPage = lazy(() => import("./pages/newJob/NewJobPage"));
const JobPage = lazy(() => import("./pages/job/JobPage"));
const ProvidersPage = lazy(() => import("./pages/providers/ProvidersPage"));
const AccountPage = lazy(() => import("./pages/account/AccountPage"));
const TrainingPage = lazy(() => import("./pages/training/TrainingPage"));

const TITLES = { home: "Jobs", newJob: "New job", job: "Job", providers: "Providers", account: "My jobs", training: "Training", notFound: "Not found" } as const;

export function App() {
  const route = useRoute();
  useEffect(() => {
    document.title = `${route.page === "job" ? `Job ${route.jobId}` : TITLES[route.page]} · Shoal`;
  }, [route]);
  let page: React.ReactNode;
  switch (route.page) {
    case "home": page = <HomePage />; break;
    case "newJob": page = <NewJobPage />; break;
    case "job": page = <JobPage key={route.jobId.toString()} jobId={route.jobId} />; break;
    case "providers": page = <ProvidersPage />; break;
    case "account": page = <AccountPage />; break;
    case "training": page = <TrainingPage key={route.coordinator ?? ""} {...(route.coordinator ? { coordinator: route.coordinator } : {})} />; break;
    case "notFound":
      page = (
        <Empty>
          No page at <code>{route.path}</code>. <a href={href.home}>Go to the jobs</a>.
        </Empty>
      );
  }
  return (
    <Layout route={route}>
      <Suspense fallback={<Loading />}>{page}</Suspense>
    </Layout>
  );
}
